"""The certificate-store interface every emulated platform store implements.

A store holds identities (private key + certificate + the intermediates sent with it) and the
trusted roots that trusted-root profiles deploy. Who may use an identity is the platform's rule
(`may_use`): iOS access groups, Android per-app grants, Windows store locations.
"""

from __future__ import annotations

import base64
import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ObjectIdentifier

from ..errors import AccessDeniedError, StoreError
from ..keys import PrivateKey, load_private_key_pem, private_key_pem
from ..oids import EKU_CLIENT_AUTH
from ..pem import fingerprint
from ..pkcs import KeyAndCert
from ..validation import validate_chain


class CredentialRole(StrEnum):
    PIV_AUTH = "pivAuthentication"
    SIGNATURE = "digitalSignature"
    KEY_MANAGEMENT = "keyManagement"


@dataclass
class Identity:
    ref: str
    role: CredentialRole
    key: PrivateKey
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    label: str
    #: Scope on the platform: iOS access group, Android alias owner, Windows store location.
    scope: str
    #: False for older keys of a key history (decrypt-only).
    current: bool = True
    issuer: str = ""
    attrs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        ref: str,
        role: CredentialRole,
        item: KeyAndCert,
        scope: str,
        *,
        issuer: str,
        current: bool = True,
        label: str = "",
    ) -> Identity:
        """An identity from a key and its certificate (as a PKCS#12 or an EST answer gives
        them); the label defaults to the item's friendly name, then the reference."""
        return cls(
            ref,
            role,
            item.key,
            item.cert,
            item.cas,
            label or item.friendly_name or ref,
            scope,
            current,
            issuer,
        )

    @property
    def thumbprint(self) -> str:
        return fingerprint(self.cert)

    def to_json(self, key_password: bytes) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "role": self.role.value,
            "key": private_key_pem(self.key, key_password).decode(),
            "cert": base64.b64encode(self.cert.public_bytes(Encoding.DER)).decode(),
            "chain": [base64.b64encode(c.public_bytes(Encoding.DER)).decode() for c in self.chain],
            "label": self.label,
            "scope": self.scope,
            "current": self.current,
            "issuer": self.issuer,
            "attrs": self.attrs,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any], key_password: bytes) -> Identity:
        return cls(
            ref=d["ref"],
            role=CredentialRole(d["role"]),
            key=load_private_key_pem(d["key"].encode(), key_password),
            cert=x509.load_der_x509_certificate(base64.b64decode(d["cert"])),
            chain=tuple(x509.load_der_x509_certificate(base64.b64decode(c)) for c in d["chain"]),
            label=d["label"],
            scope=d["scope"],
            current=d.get("current", True),
            issuer=d.get("issuer", ""),
            attrs=d.get("attrs", {}),
        )


class CertificateStore(ABC):
    """Base of every platform store; subclasses register themselves in `STORES`."""

    platform_family: ClassVar[str]

    def __init__(self) -> None:
        self._identities: dict[str, Identity] = {}
        self._roots: dict[str, tuple[x509.Certificate, str]] = {}

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "platform_family" in cls.__dict__:
            STORES[cls.platform_family] = cls

    # --- identities ---------------------------------------------------------------------------
    def add_identity(self, identity: Identity) -> Identity:
        if identity.ref in self._identities:
            raise StoreError(f"an item with reference {identity.ref!r} already exists")
        if identity.cert.public_key() != identity.key.public_key():
            raise StoreError("the certificate does not match the private key")
        self._identities[identity.ref] = identity
        return identity

    def remove_identity(self, ref: str) -> None:
        if self._identities.pop(ref, None) is None:
            raise StoreError(f"no item with reference {ref!r}")

    def all_identities(self) -> list[Identity]:
        return list(self._identities.values())

    def identities(
        self, app: str, role: CredentialRole | None = None, *, current_only: bool = True
    ) -> list[Identity]:
        """The identities `app` may use, newest first; AccessDeniedError if it may use none."""
        found = [
            i
            for i in self._identities.values()
            if (role is None or i.role is role) and (i.current or not current_only)
        ]
        allowed = [i for i in found if self.may_use(app, i)]
        if found and not allowed:
            raise AccessDeniedError(self.denial_reason(app, found[0]))
        return sorted(allowed, key=lambda i: i.cert.not_valid_before_utc, reverse=True)

    @abstractmethod
    def may_use(self, app: str, identity: Identity) -> bool: ...

    def denial_reason(self, app: str, identity: Identity) -> str:
        return f"{app} may not use {identity.label} ({identity.scope})"

    # --- trust --------------------------------------------------------------------------------
    def add_trusted_root(self, cert: x509.Certificate, source: str) -> None:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        if not bc.ca or cert.issuer != cert.subject:
            raise StoreError(f"{cert.subject.rfc4514_string()} is not a self-signed CA certificate")
        self._roots[fingerprint(cert)] = (cert, source)

    def remove_trusted_roots(self, source: str) -> None:
        self._roots = {k: v for k, v in self._roots.items() if v[1] != source}

    def trusted_roots(self) -> list[x509.Certificate]:
        return [c for c, _ in self._roots.values()]

    def validate(
        self,
        identity: Identity,
        at: dt.datetime,
        *,
        eku: ObjectIdentifier = EKU_CLIENT_AUTH,
        policies: Sequence[ObjectIdentifier] = (),
    ) -> list[x509.Certificate]:
        return validate_chain(
            identity.cert,
            self.validation_chain(identity),
            self.validation_roots(identity),
            at,
            eku=eku,
            policies=policies,
        )

    def validation_roots(self, identity: Identity) -> list[x509.Certificate]:
        """The roots `validate` trusts for `identity` (every trusted root, unless the platform
        scopes them)."""
        return self.trusted_roots()

    def validation_chain(self, identity: Identity) -> Sequence[x509.Certificate]:
        """The intermediates `validate` may use for `identity` (those installed with it)."""
        return identity.chain

    # --- persistence --------------------------------------------------------------------------
    def to_json(self, key_password: bytes) -> dict[str, Any]:
        return {
            "family": self.platform_family,
            "identities": [i.to_json(key_password) for i in self._identities.values()],
            "roots": [
                {"cert": base64.b64encode(c.public_bytes(Encoding.DER)).decode(), "source": s}
                for c, s in self._roots.values()
            ],
            "extra": self.extra_json(),
        }

    def extra_json(self) -> dict[str, Any]:
        return {}

    def load_extra(self, extra: dict[str, Any]) -> None:
        return None

    @classmethod
    def from_json(cls, d: dict[str, Any], key_password: bytes) -> CertificateStore:
        store = STORES[d["family"]]()
        for i in d["identities"]:
            ident = Identity.from_json(i, key_password)
            store._identities[ident.ref] = ident
        for r in d["roots"]:
            store.add_trusted_root(
                x509.load_der_x509_certificate(base64.b64decode(r["cert"])), r["source"]
            )
        store.load_extra(d.get("extra", {}))
        return store


STORES: dict[str, type[CertificateStore]] = {}


def store_for(family: str) -> CertificateStore:
    try:
        return STORES[family]()
    except KeyError as e:
        raise StoreError(f"no certificate store for platform family {family!r}") from e
