"""`lab.json`: where a running lab's services are and how to trust and reach them.

`dcemu serve` writes it; `dcemu enroll`, `dcemu load` and `dcemu run --lab` read it, and so can a
tester's own tools. The same shape describes any services that speak dcemu's protocols (a
tester's own issuer, say): only `version`, `services.<name>.url`, `trust` and the tokens are
required.

    {
      "version": 1,
      "services": {
        "card-authority": {"url": "https://127.0.0.1:8443"},
        "entrust": {"url": "https://127.0.0.1:8444", "kind": "issuer",
                    "intuneIssuer": "entrustDatacard", "portalUrl": "https://127.0.0.1:8444",
                    "revocationUrl": "http://127.0.0.1:8080"},
        "purebred": {"url": "https://127.0.0.2:8445", "kind": "issuer",
                     "portalUrl": "https://127.0.0.1:8446", ...},
        "intune": {"url": "https://127.0.0.1:8447"},
        "relying-party": {"url": "https://127.0.0.1:8448"}
      },
      "trust": {"tlsRoot": "trust/tls-root.pem", "derivedRoots": "trust/derived-roots.pem"},
      "adminToken": "...",
      "graph": {"tenant": "...", "clientId": "...", "clientSecret": "...",
                "tokenUrl": "https://127.0.0.1:8447/<tenant>/oauth2/v2.0/token"}
    }

For an issuer, `url` is where devices reach it (Purebred: its on-premises device API) and
`portalUrl` where users sign in with their card (Purebred: the agents' console). Paths are
relative to the file's folder, or absolute.
"""

from __future__ import annotations

import json
import ssl
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509

VERSION = 1
CARD_AUTHORITY = "card-authority"
INTUNE = "intune"
RELYING_PARTY = "relying-party"


class LabFileError(ValueError):
    """A lab.json that cannot be used (the message names the file and the field)."""


@dataclass(frozen=True)
class Service:
    url: str
    kind: str = ""
    #: Anything else the file says of the service (portalUrl, intuneIssuer, revocationUrl ...).
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"url": self.url}
        if self.kind:
            doc["kind"] = self.kind
        doc.update(self.extra)
        return doc


@dataclass(frozen=True)
class GraphClient:
    tenant: str
    client_id: str
    client_secret: str
    token_url: str

    def to_json(self) -> dict[str, str]:
        return {
            "tenant": self.tenant,
            "clientId": self.client_id,
            "clientSecret": self.client_secret,
            "tokenUrl": self.token_url,
        }


@dataclass(frozen=True)
class LabFile:
    services: dict[str, Service]
    tls_root: Path
    derived_roots: Path
    admin_token: str
    graph: GraphClient | None = None
    #: Where the file was read from (relative paths resolve against its folder).
    path: Path | None = None

    def service(self, name: str) -> Service:
        try:
            return self.services[name]
        except KeyError:
            raise LabFileError(
                f"{self.path or 'lab.json'}: no service {name!r} "
                f"(services: {', '.join(sorted(self.services))})"
            ) from None

    def issuers(self) -> dict[str, Service]:
        return {n: s for n, s in self.services.items() if s.kind == "issuer"}

    def anchors(self) -> list[x509.Certificate]:
        """The TLS trust anchors clients need (the lab TLS root)."""
        try:
            return x509.load_pem_x509_certificates(self.tls_root.read_bytes())
        except (OSError, ValueError) as e:
            raise LabFileError(f"{self.path}: trust.tlsRoot {self.tls_root}: {e}") from e

    def admin(self, method: str, service: str, path: str, body: Any = None) -> Any:
        """One call to a service's `/admin/*` with the admin token, from outside any event
        loop (scripts, benchmarks, tests of running services): the JSON answer, or None."""
        ctx = ssl.create_default_context(cafile=str(self.tls_root))
        request = urllib.request.Request(
            f"{self.service(service).url}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {self.admin_token}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, context=ctx, timeout=60) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def to_json(self, relative_to: Path | None = None) -> dict[str, Any]:
        def rel(p: Path) -> str:
            if relative_to is not None and p.is_relative_to(relative_to):
                return str(p.relative_to(relative_to))
            return str(p)

        doc: dict[str, Any] = {
            "version": VERSION,
            "services": {n: s.to_json() for n, s in self.services.items()},
            "trust": {"tlsRoot": rel(self.tls_root), "derivedRoots": rel(self.derived_roots)},
            "adminToken": self.admin_token,
        }
        if self.graph is not None:
            doc["graph"] = self.graph.to_json()
        return doc

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(self.to_json(path.parent), indent=2) + "\n")
        tmp.chmod(0o600)  # it holds the admin token and the Graph secret
        tmp.replace(path)
        return path

    @classmethod
    def read(cls, path: Path) -> LabFile:
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise LabFileError(f"{path}: cannot read a lab file: {e}") from e
        return cls.from_json(doc, path)

    @classmethod
    def from_json(cls, doc: Any, path: Path) -> LabFile:
        def need(obj: Any, key: str, where: str, kind: type = str) -> Any:
            if not isinstance(obj, dict) or not isinstance(obj.get(key), kind):
                raise LabFileError(f"{path}: {where}{key} must be a {kind.__name__}")
            return obj[key]

        if need(doc, "version", "", int) != VERSION:
            raise LabFileError(f"{path}: version {doc['version']} is not {VERSION}")
        services = {}
        for name, raw in need(doc, "services", "", dict).items():
            url = need(raw, "url", f"services.{name}.")
            if not url.startswith(("https://", "http://")):
                raise LabFileError(f"{path}: services.{name}.url must be an http(s) URL")
            extra = {k: v for k, v in raw.items() if k not in ("url", "kind")}
            services[name] = Service(url.rstrip("/"), str(raw.get("kind", "")), extra)
        trust = need(doc, "trust", "", dict)
        base = path.parent

        def resolve(key: str) -> Path:
            p = Path(need(trust, key, "trust."))
            return p if p.is_absolute() else base / p

        graph = None
        if "graph" in doc:
            g = need(doc, "graph", "", dict)
            graph = GraphClient(
                need(g, "tenant", "graph."),
                need(g, "clientId", "graph."),
                need(g, "clientSecret", "graph."),
                need(g, "tokenUrl", "graph."),
            )
        return cls(
            services,
            resolve("tlsRoot"),
            resolve("derivedRoots"),
            need(doc, "adminToken", ""),
            graph,
            path,
        )
