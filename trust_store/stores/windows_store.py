"""The Windows certificate stores: My, Root and CA, for CurrentUser and LocalMachine.

- A store path is ``<location>\\<store>`` as in ``Cert:\\CurrentUser\\My`` (case-insensitive on
  input, canonical on output). Identities (certificate + private key) live in a ``My`` store:
  `Identity.scope` is e.g. ``"CurrentUser\\My"``. Their `Identity.ref` is the SHA-1 thumbprint in
  uppercase hex, as certutil and PowerShell show it: `add_identity` re-references an identity by
  its thumbprint whatever ref it came with (Windows has no caller-chosen reference).
- Importing an identity also files the intermediates sent with it under ``<location>\\CA`` (as
  the PFX import wizard does with "automatically select the store"); self-signed certificates in
  the chain are never trusted by import: trust comes only from `add_trusted_root` (``Root``).
- Who may use a key (`may_use`) is the security context the app runs in:
  ``"user:<name>"`` (a process of that user) may use CurrentUser identities when <name> is the
  signed-in user who owns the CurrentUser stores (`user`); ``"system"`` (a LocalSystem service,
  e.g. machine Wi-Fi/VPN authentication) may use LocalMachine identities. Other app ids are
  mapped to a context with `register_app`; the derived-credential provider app runs as the
  signed-in user. (Real Windows also lets users use machine keys whose ACL allows it; the
  emulator does not model key ACLs.)
- `validate` builds the chain as CryptoAPI does for the identity's location: anchors from the
  ``Root`` stores and extra intermediates from the ``CA`` stores; the CurrentUser view includes
  LocalMachine's stores, the LocalMachine view only its own.
- One certificate is in at most one ``My`` store (identities are keyed by thumbprint).
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from ..errors import StoreError
from .base import CertificateStore, Identity

#: The derived-credential provider's Windows app (neutral: each issuer ships its own).
PROVIDER_APP = "dcemu.DerivedCredentialProvider"
SYSTEM = "system"
USER_PREFIX = "user:"
#: A registered app context meaning "whoever is signed in" (the owner of CurrentUser).
SIGNED_IN_USER = "user"
DEFAULT_USER = "user"


class StoreLocation(StrEnum):
    CURRENT_USER = "CurrentUser"
    LOCAL_MACHINE = "LocalMachine"


class StoreName(StrEnum):
    MY = "My"
    ROOT = "Root"
    CA = "CA"


#: The stores each location's view of Root/CA consults (CurrentUser inherits LocalMachine).
_VIEW = {
    StoreLocation.CURRENT_USER: (StoreLocation.CURRENT_USER, StoreLocation.LOCAL_MACHINE),
    StoreLocation.LOCAL_MACHINE: (StoreLocation.LOCAL_MACHINE,),
}


def store_path(location: StoreLocation | str, name: StoreName | str) -> str:
    return f"{_location(location).value}\\{_name(name).value}"


def parse_store_path(path: str) -> tuple[StoreLocation, StoreName]:
    """``"currentuser\\my"`` -> (CurrentUser, My); StoreError for anything else."""
    loc, sep, name = path.replace("/", "\\").strip("\\").partition("\\")
    if not sep:
        raise StoreError(f"store path {path!r} is not <location>\\<store>; e.g. CurrentUser\\My")
    return _location(loc), _name(name)


def _location(value: StoreLocation | str) -> StoreLocation:
    for loc in StoreLocation:
        if loc.value.lower() == str(value).lower():
            return loc
    raise StoreError(f"unknown store location {value!r}; use {[s.value for s in StoreLocation]}")


def _name(value: StoreName | str) -> StoreName:
    for name in StoreName:
        if name.value.lower() == str(value).lower():
            return name
    raise StoreError(f"unknown certificate store {value!r}; use {[s.value for s in StoreName]}")


def thumbprint(cert: x509.Certificate) -> str:
    """SHA-1 thumbprint, uppercase hex without separators (certutil, PowerShell)."""
    # SHA-1 here names a certificate; it protects nothing.
    return cert.fingerprint(hashes.SHA1()).hex().upper()


def normalize_thumbprint(value: str) -> str:
    """Accept certutil's spaced lowercase or colon forms; answer the canonical form."""
    hex_only = "".join(ch for ch in value if ch not in " :\u200e").upper()
    if len(hex_only) != 40 or any(ch not in "0123456789ABCDEF" for ch in hex_only):
        raise StoreError(f"{value!r} is not a SHA-1 thumbprint (40 hex digits)")
    return hex_only


@dataclass(frozen=True)
class StoredCertificate:
    """A certificate as found in one store; `identity` is set when it has a private key."""

    path: str
    cert: x509.Certificate
    thumbprint: str
    source: str
    identity: Identity | None = None


def _is_self_signed_ca(cert: x509.Certificate) -> bool:
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return False
    return bc.ca and cert.issuer == cert.subject


class WindowsCertStore(CertificateStore):
    platform_family = "windows"

    def __init__(self, user: str = DEFAULT_USER) -> None:
        super().__init__()
        #: The signed-in user who owns the CurrentUser stores.
        self.user = user
        self._apps: dict[str, str] = {PROVIDER_APP: SIGNED_IN_USER}
        #: Root and CA stores: path -> thumbprint -> (certificate, source).
        self._certs: dict[str, dict[str, tuple[x509.Certificate, str]]] = {
            store_path(loc, name): {}
            for loc in StoreLocation
            for name in (StoreName.ROOT, StoreName.CA)
        }

    # --- apps and contexts --------------------------------------------------------------------
    def register_app(self, app_id: str, context: str) -> None:
        """Run `app_id` as ``"system"``, ``"user:<name>"`` or ``"user"`` (the signed-in user)."""
        if not app_id:
            raise StoreError("an app needs an id")
        if context not in (SYSTEM, SIGNED_IN_USER) and not (
            context.startswith(USER_PREFIX) and len(context) > len(USER_PREFIX)
        ):
            raise StoreError(f"app context {context!r} is not 'system', 'user' or 'user:<name>'")
        self._apps[app_id] = context

    def context_of(self, app: str) -> str | None:
        """``"system"``, ``"user:<name>"``, or None for an unknown app."""
        ctx = self._apps.get(app, app)
        if ctx == SIGNED_IN_USER:
            return USER_PREFIX + self.user
        if ctx == SYSTEM or (ctx.startswith(USER_PREFIX) and len(ctx) > len(USER_PREFIX)):
            return ctx
        return None

    # --- identities ---------------------------------------------------------------------------
    def add_identity(self, identity: Identity) -> Identity:
        loc, name = parse_store_path(identity.scope)
        if name is not StoreName.MY:
            raise StoreError(
                f"a certificate with a private key goes to a My store, not {identity.scope!r}"
            )
        thumb = thumbprint(identity.cert)
        scope = store_path(loc, name)
        if identity.ref != thumb or identity.scope != scope:
            identity = dataclasses.replace(identity, ref=thumb, scope=scope)
        added = super().add_identity(identity)
        for ca in identity.chain:
            if not _is_self_signed_ca(ca):
                self._certs[store_path(loc, StoreName.CA)].setdefault(
                    thumbprint(ca), (ca, f"identity:{thumb}")
                )
        return added

    def remove_identity(self, ref: str) -> None:
        super().remove_identity(normalize_thumbprint(ref))

    def find_by_thumbprint(self, value: str) -> list[StoredCertificate]:
        """Every store holding the certificate with this SHA-1 thumbprint (any spelling)."""
        thumb = normalize_thumbprint(value)
        found = [e for path in self.store_paths() for e in self.entries(path)]
        return [e for e in found if e.thumbprint == thumb]

    def store_paths(self) -> list[str]:
        return [store_path(loc, name) for loc in StoreLocation for name in StoreName]

    def entries(self, path: str) -> list[StoredCertificate]:
        loc, name = parse_store_path(path)
        canon = store_path(loc, name)
        if name is StoreName.MY:
            return [
                StoredCertificate(canon, i.cert, i.ref, i.issuer, i)
                for i in self.all_identities()
                if i.scope == canon
            ]
        return [StoredCertificate(canon, c, t, s) for t, (c, s) in self._certs[canon].items()]

    def certificates(self, path: str) -> list[x509.Certificate]:
        """The certificates in one store, e.g. ``certificates("LocalMachine\\Root")``."""
        return [e.cert for e in self.entries(path)]

    def may_use(self, app: str, identity: Identity) -> bool:
        return self._refusal(app, identity) is None

    def denial_reason(self, app: str, identity: Identity) -> str:
        return self._refusal(app, identity) or super().denial_reason(app, identity)

    def _refusal(self, app: str, identity: Identity) -> str | None:
        ctx = self.context_of(app)
        loc, _ = parse_store_path(identity.scope)
        if ctx is None:
            return (
                f"{app!r} is not a security context: use 'user:<name>' or 'system', or map "
                f"the app with register_app(app_id, context)"
            )
        if loc is StoreLocation.CURRENT_USER:
            if ctx == USER_PREFIX + self.user:
                return None
            return (
                f"{identity.scope} belongs to the signed-in user {self.user!r}; {app} runs as "
                f"{ctx!r} and cannot use its keys"
            )
        if ctx == SYSTEM:
            return None
        return (
            f"{identity.scope} keys are for machine-context services ('system'); {app} runs as "
            f"{ctx!r}"
        )

    # --- trust --------------------------------------------------------------------------------
    def add_trusted_root(
        self,
        cert: x509.Certificate,
        source: str,
        location: StoreLocation | str = StoreLocation.LOCAL_MACHINE,
    ) -> None:
        """Put a self-signed CA certificate into ``<location>\\Root``."""
        path = store_path(location, StoreName.ROOT)
        super().add_trusted_root(cert, source)
        self._certs[path][thumbprint(cert)] = (cert, source)
        self._sync_roots()

    def add_intermediate(
        self,
        cert: x509.Certificate,
        source: str,
        location: StoreLocation | str = StoreLocation.LOCAL_MACHINE,
    ) -> None:
        """Put an intermediate CA certificate into ``<location>\\CA``."""
        path = store_path(location, StoreName.CA)
        try:
            bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        except x509.ExtensionNotFound:
            bc = x509.BasicConstraints(ca=False, path_length=None)
        if not bc.ca:
            raise StoreError(f"{cert.subject.rfc4514_string()} is not a CA certificate")
        if _is_self_signed_ca(cert):
            raise StoreError(
                f"{cert.subject.rfc4514_string()} is self-signed: trust it with add_trusted_root"
            )
        self._certs[path][thumbprint(cert)] = (cert, source)

    def remove_trusted_roots(
        self, source: str, location: StoreLocation | str | None = None
    ) -> None:
        self._remove(StoreName.ROOT, source, location)
        self._sync_roots()

    def remove_intermediates(
        self, source: str, location: StoreLocation | str | None = None
    ) -> None:
        self._remove(StoreName.CA, source, location)

    def _remove(self, name: StoreName, source: str, location: StoreLocation | str | None) -> None:
        locs = list(StoreLocation) if location is None else [_location(location)]
        for loc in locs:
            path = store_path(loc, name)
            self._certs[path] = {k: v for k, v in self._certs[path].items() if v[1] != source}

    def trusted_roots(self, location: StoreLocation | str | None = None) -> list[x509.Certificate]:
        """Roots as `location` sees them (CurrentUser includes LocalMachine); None: every Root."""
        locs = list(StoreLocation) if location is None else _VIEW[_location(location)]
        return self._view(StoreName.ROOT, locs)

    def intermediates(self, location: StoreLocation | str) -> list[x509.Certificate]:
        """CA-store certificates as `location` sees them."""
        return self._view(StoreName.CA, _VIEW[_location(location)])

    def _view(self, name: StoreName, locs: Sequence[StoreLocation]) -> list[x509.Certificate]:
        seen: dict[str, x509.Certificate] = {}
        for loc in locs:
            for t, (c, _) in self._certs[store_path(loc, name)].items():
                seen.setdefault(t, c)
        return list(seen.values())

    def _sync_roots(self) -> None:
        self._roots = {
            t: v
            for loc in StoreLocation
            for t, v in self._certs[store_path(loc, StoreName.ROOT)].items()
        }

    def validation_roots(self, identity: Identity) -> list[x509.Certificate]:
        """The roots of the identity's store location (user or machine)."""
        loc, _ = parse_store_path(identity.scope)
        return self.trusted_roots(loc)

    def validation_chain(self, identity: Identity) -> Sequence[x509.Certificate]:
        """The identity's own chain, then the intermediates of its store location."""
        loc, _ = parse_store_path(identity.scope)
        extra = [c for c in self.intermediates(loc) if c not in identity.chain]
        return [*identity.chain, *extra]

    # --- persistence --------------------------------------------------------------------------
    def extra_json(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "apps": dict(self._apps),
            "stores": {
                path: [
                    {"cert": base64.b64encode(c.public_bytes(Encoding.DER)).decode(), "source": s}
                    for c, s in certs.values()
                ]
                for path, certs in self._certs.items()
            },
        }

    def load_extra(self, extra: dict[str, Any]) -> None:
        self.user = extra.get("user", self.user)
        self._apps.update(extra.get("apps", {}))
        if "stores" in extra:
            for path in self._certs:
                self._certs[path] = {}
            for path, items in extra["stores"].items():
                loc, name = parse_store_path(path)
                target = self._certs[store_path(loc, name)]
                for item in items:
                    cert = x509.load_der_x509_certificate(base64.b64decode(item["cert"]))
                    target[thumbprint(cert)] = (cert, item["source"])
            self._sync_roots()
