"""A card issuance request, validated whole before anything is issued, and the card record."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from servicekit.problems import BadRequest
from servicekit.text import common_name_problem, email_problem, upn_problem
from trust_store.certprofiles import Subject

from ..csr import CheckedCsr, check_csr
from ..settings import CardAuthoritySettings
from ..wire import b64decode, get_int, get_obj, get_optional_str, get_str
from .escrow import EscrowedKey

#: The p12Password: any text (no lone surrogates: the JSON reader refuses those), bounded.
MAX_PASSWORD = 256


@dataclass(frozen=True)
class CardUser:
    name: str
    upn: str
    email: str | None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CardUser:
        """The user fields, refused unless the card's certificates can carry them: the name
        is the subject's common name (one line, at most 64 characters and 64 UTF-8 bytes), the
        UPN and the address go into the subjectAltName."""
        name = get_str(d, "name", max_len=4096)
        upn = get_str(d, "upn", max_len=4096)
        email = get_optional_str(d, "email", max_len=4096)
        for field_name, why in (
            ("name", common_name_problem(name)),
            ("upn", upn_problem(upn)),
            ("email", None if email is None else email_problem(email)),
        ):
            if why is not None:
                raise BadRequest(f"field 'user.{field_name}' {why}", field=f"user.{field_name}")
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
        password = get_str(body, "p12Password", max_len=MAX_PASSWORD).encode()
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
    issued_at: dt.datetime = field(kw_only=True)

    def certificates(self) -> list[x509.Certificate]:
        return [
            self.piv_authentication,
            self.digital_signature,
            *(k.cert for k in self.key_management),
        ]
