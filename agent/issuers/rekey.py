"""The device side of automatic re-key (Intercede MyID; docs/protocol.md, "MyID automatic
re-key"): over a mutual-TLS session that presents the device's current derived PIV
Authentication credential, ask whether a re-key is due, then send CSRs for new keys.

Only the wire messages and the two requests are here; choosing the credential, generating keys
and installing the result is `agent.rekey`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from trust_store.clock import parse_iso
from trust_store.pkcs import PkcsError, load_certs_only

from ..errors import EnrollmentError
from ..http import Transport

UPDATES_PATH = "/device/v1/credential/updates"
REKEY_PATH = "/device/v1/credential/rekey"


def _field(doc: Any, name: str, kind: type, what: str) -> Any:
    value = doc.get(name) if isinstance(doc, dict) else None
    if not isinstance(value, kind):
        raise EnrollmentError(f"the issuer's {what} answer has no usable {name!r}")
    return value


@dataclass(frozen=True)
class RekeyOffer:
    """`GET /device/v1/credential/updates`: whether a re-key is due, why, and for which kinds.
    Unknown fields are ignored."""

    enrollment: str
    due: bool
    reason: str | None
    not_after: dt.datetime
    rekey_at: dt.datetime
    requests: tuple[str, ...]

    @classmethod
    def from_json(cls, doc: Any) -> RekeyOffer:
        what = "re-key status"
        reason = doc.get("reason") if isinstance(doc, dict) else None
        try:
            not_after = parse_iso(_field(doc, "notAfter", str, what))
            rekey_at = parse_iso(_field(doc, "rekeyAt", str, what))
        except ValueError as e:
            raise EnrollmentError(f"the issuer's {what} answer has a bad time: {e}") from e
        return cls(
            enrollment=_field(doc, "enrollment", str, what),
            due=_field(doc, "rekeyDue", bool, what),
            reason=reason if isinstance(reason, str) else None,
            not_after=not_after,
            rekey_at=rekey_at,
            requests=tuple(str(k) for k in _field(doc, "requests", list, what)),
        )


@dataclass(frozen=True)
class RekeyAnswer:
    """`POST /device/v1/credential/rekey`: the new certificates of each kind (each with the
    issuing CA) and the serial numbers the issuer revoked."""

    reason: str
    certificates: dict[str, list[x509.Certificate]]
    revoked: tuple[str, ...]

    @classmethod
    def from_json(cls, doc: Any) -> RekeyAnswer:
        what = "re-key"
        certificates = {}
        for kind, b64 in _field(doc, "certificates", dict, what).items():
            try:
                certificates[str(kind)] = load_certs_only(base64.b64decode(b64, validate=True))
            except (TypeError, ValueError, binascii.Error, PkcsError) as e:
                raise EnrollmentError(f"the re-keyed {kind} certificate is unreadable: {e}") from e
        revoked = doc.get("revoked", []) if isinstance(doc, dict) else []
        return cls(
            reason=_field(doc, "reason", str, what),
            certificates=certificates,
            revoked=tuple(str(s) for s in revoked) if isinstance(revoked, list) else (),
        )


async def fetch_offer(
    transport: Transport, session: aiohttp.ClientSession, issuer_url: str
) -> RekeyOffer:
    doc = await transport.json_object(
        "GET", issuer_url + UPDATES_PATH, session=session, during="re-key: credential updates"
    )
    return RekeyOffer.from_json(doc)


async def send_rekey(
    transport: Transport,
    session: aiohttp.ClientSession,
    issuer_url: str,
    csrs: Mapping[str, x509.CertificateSigningRequest],
) -> RekeyAnswer:
    body = {
        "csrs": {
            kind: base64.b64encode(csr.public_bytes(Encoding.DER)).decode()
            for kind, csr in csrs.items()
        }
    }
    doc = await transport.json_object(
        "POST", issuer_url + REKEY_PATH, json=body, session=session, during="re-key"
    )
    return RekeyAnswer.from_json(doc)
