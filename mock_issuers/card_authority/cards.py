"""A card issuance request, validated whole before anything is issued, and the card record."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from servicekit.problems import BadRequest
from trust_store.certprofiles import Subject

from ..csr import CheckedCsr, check_csr
from ..settings import CardAuthoritySettings
from ..wire import b64decode, get_int, get_obj, get_optional_str, get_str
from .escrow import EscrowedKey

#: X.520 ub-common-name.
MAX_COMMON_NAME = 64
_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+$")
_UPN = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(frozen=True)
class CardUser:
    name: str
    upn: str
    email: str | None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CardUser:
        name = get_str(d, "name", max_len=MAX_COMMON_NAME)
        upn = get_str(d, "upn", max_len=256)
        email = get_optional_str(d, "email", max_len=256)
        if not _UPN.match(upn):
            raise BadRequest(f"user.upn {upn!r} is not of the form name@domain")
        if email is not None and not _EMAIL.match(email):
            raise BadRequest(f"user.email {email!r} is not an ASCII address name@domain")
        return cls(name, upn, email)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "upn": self.upn, "email": self.email}

    def subject(self, card_uuid: uuid.UUID) -> Subject:
        return Subject(
            common_name=self.name,
            organizational_unit="People",
            card_uuid=card_uuid,
            upn=self.upn,
            email=self.email,
        )


@dataclass(frozen=True)
class CardRequest:
    """`POST /admin/cards`, checked: user fields, both CSRs (proof of possession, key
    strength), the key-history count and the PKCS#12 password."""

    user: CardUser
    piv_authentication: CheckedCsr
    digital_signature: CheckedCsr
    key_history: int
    p12_password: bytes

    @classmethod
    def from_json(cls, body: dict[str, Any], settings: CardAuthoritySettings) -> CardRequest:
        user = CardUser.from_json(get_obj(body, "user"))
        csrs = get_obj(body, "csrs")
        checked = {
            kind: check_csr(b64decode(get_str(csrs, kind, max_len=16384), f"csrs.{kind}"), kind)
            for kind in ("pivAuthentication", "digitalSignature")
        }
        history = get_int(
            body, "keyManagementHistory", settings.key_history_default, 0, settings.key_history_max
        )
        password = get_str(body, "p12Password", max_len=256).encode()
        return cls(
            user, checked["pivAuthentication"], checked["digitalSignature"], history, password
        )


@dataclass
class CardRecord:
    uuid: uuid.UUID
    user: CardUser
    piv_authentication: x509.Certificate
    digital_signature: x509.Certificate
    #: Escrowed key-management keys, newest first.
    key_management: list[EscrowedKey] = field(default_factory=list)

    def certificates(self) -> list[x509.Certificate]:
        return [
            self.piv_authentication,
            self.digital_signature,
            *(k.cert for k in self.key_management),
        ]
