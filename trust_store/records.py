"""Where a certificate authority keeps its records (what it issued, what it revoked, its last
CRL number) so that they outlive the process.

`RecordStore` is the slice of a service's storage a CA needs (`servicekit.storage.Storage` has
it: the card authority and each issuer attach theirs, and commit with the request). `RecordLog`
is the lab PKI's own: the roots and the TLS root issue at start-up, outside any request, so
each record is appended to a JSON-lines file and flushed to disk before the certificate is
used. A line torn by `kill -9` is the last one, never acknowledged: it is cut off when the log
is opened again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Protocol

JsonDoc = dict[str, Any]


class RecordStore(Protocol):
    def load(self, collection: str) -> dict[str, JsonDoc]: ...

    def get(self, collection: str, key: str) -> JsonDoc | None: ...

    def put(self, collection: str, key: str, doc: JsonDoc) -> None: ...


class RecordLog:
    """Records in memory, each change appended to `path` (mode 0600) and synced at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data: dict[str, dict[str, JsonDoc]] = {}
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if path.exists():
            self._replay(path.read_bytes())

    def _replay(self, raw: bytes) -> None:
        complete = raw[: raw.rfind(b"\n") + 1]
        if len(complete) != len(raw):
            # The tail of a line whose write was cut short: never durable, never acknowledged.
            with self.path.open("r+b") as f:
                f.truncate(len(complete))
        for line in complete.splitlines():
            entry = json.loads(line)
            self._data.setdefault(entry["c"], {})[entry["k"]] = entry["d"]

    def load(self, collection: str) -> dict[str, JsonDoc]:
        return dict(self._data.get(collection, {}))

    def get(self, collection: str, key: str) -> JsonDoc | None:
        return self._data.get(collection, {}).get(key)

    def put(self, collection: str, key: str, doc: JsonDoc) -> None:
        line = json.dumps({"c": collection, "k": key, "d": doc}, separators=(",", ":")) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        self._data.setdefault(collection, {})[key] = doc
