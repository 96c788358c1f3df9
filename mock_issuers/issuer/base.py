"""The issuer interface and its registry.

Every derived-credential issuer that follows the portal + QR + device flow is one small class
whose differences are data: its name, whether the portal shows an activation password and how
long it is, token and credential lifetimes, which certificates it issues, whether it re-keys
a still-valid credential automatically (and how long before expiry). Register it with
`@register`; `ISSUERS[name]` is then what `issuer_app.create_app(name, ...)` builds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from trust_store import certprofiles as cp
from trust_store.certprofiles import CertProfile
from trust_store.oids import DERIVED_MAX_VALIDITY

#: QR payload scheme and version: `dcemu:<issuer>:1:<token>` (docs/protocol.md).
QR_SCHEME = "dcemu"
QR_VERSION = 1
#: The key history the device may ask for besides the EST-issued certificates.
KEY_MANAGEMENT = "keyManagement"


@dataclass(frozen=True)
class Product:
    """A certificate an enrollment issues once, by EST `simpleenroll` under `est_label`."""

    kind: str
    est_label: str
    profile: CertProfile

    @property
    def est_path(self) -> str:
        return f"/.well-known/est/{self.est_label}/simpleenroll"


#: SP 800-157 derived PIV Authentication (policy 2.16.840.1.101.3.2.1.3.40).
PIV_AUTHENTICATION = Product("pivAuthentication", "pivauth", cp.DERIVED_PIV_AUTH)
#: SP 800-157r1 appendix A derived digital signature.
DIGITAL_SIGNATURE = Product("digitalSignature", "signature", cp.DERIVED_SIGNATURE)


class Issuer:
    """Base of every issuer. Subclasses set the class attributes; they add no behaviour."""

    #: Registry key, LabPKI hierarchy name, QR label and TLS client name at the card authority.
    name: ClassVar[str]
    display_name: ClassVar[str]
    #: Whether the portal shows a numeric activation password the device must send.
    password_required: ClassVar[bool] = False
    password_length: ClassVar[int] = 0
    max_password_attempts: ClassVar[int] = 5
    #: Activation token: random bytes (16 = 128 bits = 22 base64url characters) and lifetime.
    token_bytes: ClassVar[int] = 16
    token_lifetime: ClassVar[dt.timedelta] = dt.timedelta(minutes=10)
    #: Validity of the derived certificates (SP 800-157: at most 3 years).
    credential_lifetime: ClassVar[dt.timedelta] = dt.timedelta(days=365)
    products: ClassVar[tuple[Product, ...]] = (PIV_AUTHENTICATION, DIGITAL_SIGNATURE)
    #: Whether devices may recover the card's escrowed key-management keys.
    key_history: ClassVar[bool] = True
    #: Automatic re-key (MyID): how long before expiry a still-valid credential is re-keyed by
    #: default; None when the issuer does not re-key automatically (the device must enroll
    #: again). A DN or email change makes the re-key due at once.
    rekey_before_expiry: ClassVar[dt.timedelta | None] = None

    @property
    def auto_rekey(self) -> bool:
        return self.rekey_before_expiry is not None

    @property
    def qr_prefix(self) -> str:
        return f"{QR_SCHEME}:{self.name}:{QR_VERSION}:"

    def qr_payload(self, token: str) -> str:
        return self.qr_prefix + token

    def requests(self) -> list[str]:
        """What an activated device may ask for, in order."""
        kinds = [p.kind for p in self.products]
        return [*kinds, KEY_MANAGEMENT] if self.key_history else kinds

    def product(self, kind: str) -> Product:
        for p in self.products:
            if p.kind == kind:
                return p
        raise KeyError(kind)


ISSUERS: dict[str, type[Issuer]] = {}

IssuerT = TypeVar("IssuerT", bound=type[Issuer])


def register(cls: IssuerT) -> IssuerT:
    """Class decorator: add an issuer to `ISSUERS` after checking its data is consistent."""
    name = getattr(cls, "name", "")
    if not name or not name.isidentifier():
        raise TypeError(f"{cls.__name__}: name must be a simple identifier")
    if cls.password_required and cls.password_length < 6:
        raise TypeError(f"{cls.__name__}: an activation password needs at least 6 digits")
    if cls.credential_lifetime > DERIVED_MAX_VALIDITY:
        raise TypeError(f"{cls.__name__}: credential lifetime exceeds the SP 800-157 maximum")
    window = cls.rekey_before_expiry
    if window is not None and not dt.timedelta(0) < window < cls.credential_lifetime:
        raise TypeError(f"{cls.__name__}: the re-key window must be within the credential lifetime")
    if name in ISSUERS and ISSUERS[name] is not cls:
        raise TypeError(f"issuer {name!r} is registered twice")
    ISSUERS[name] = cls
    return cls
