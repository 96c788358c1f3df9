"""Ports chosen once and kept: a long-running lab's URLs survive a restart (so do the OCSP and
CRL URLs already written into issued certificates)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class PortBook:
    """Each service's port, chosen by the kernel the first time and kept in a file."""

    path: Path
    ports: dict[str, int] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path) -> PortBook:
        try:
            doc = json.loads(path.read_text())
        except FileNotFoundError:
            doc = {}
        ports = {str(k): int(v) for k, v in doc.items() if isinstance(v, int) and 0 < v < 65536}
        return cls(path, ports)

    def port(self, service: str) -> int:
        """The port `service` had (0: let the kernel choose)."""
        return self.ports.get(service, 0)

    def record(self, service: str, port: int) -> None:
        if self.ports.get(service) != port:
            self.ports[service] = port
            self.path.write_text(json.dumps(self.ports, indent=1, sort_keys=True) + "\n")
