"""The person: a PIV smart card with its PIN, and a workstation (PC or kiosk browser) that signs
in to an issuer's portal by mutual TLS with that card."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from trust_store.keys import KeyAlgorithm
from trust_store.pkcs import from_pkcs12
from trust_store.randomness import Randomness
from trust_store.tls import client_context

from .card import RETIRED_KM_SLOTS, Slot, SoftPIVCard
from .errors import MalformedAnswerError
from .http import Transport, mtls_session


@dataclass
class User:
    name: str
    upn: str
    email: str
    card: SoftPIVCard
    #: What the user types when asked for the PIN (a test may make them mistype).
    typed_pin: str = ""

    def __post_init__(self) -> None:
        self.typed_pin = self.typed_pin or self.card.pin


async def issue_card(
    transport: Transport,
    card_authority_url: str,
    *,
    admin_token: str,
    name: str,
    upn: str,
    email: str,
    pin: str,
    key_history: int = 2,
    auth_key: KeyAlgorithm = KeyAlgorithm.EC_P256,
    rand: Randomness | None = None,
) -> User:
    """Personalise a new PIV card at the agency's card management system, an admin action
    (`admin_token`: the lab's; `rand`: where the one-time PKCS#12 transfer password comes from,
    seed it to repeat a run). The card's PUK is the one the card authority set and told once in
    its answer."""
    card = SoftPIVCard(pin=pin)
    csrs = {
        "pivAuthentication": card.generate_key_pair(Slot.PIV_AUTH, auth_key, name),
        "digitalSignature": card.generate_key_pair(Slot.DIGITAL_SIGNATURE, auth_key, name),
    }
    p12_password = (rand or Randomness()).token_urlsafe(16)
    body = {
        "user": {"name": name, "upn": upn, "email": email},
        "csrs": {
            k: base64.b64encode(v.public_bytes(Encoding.DER)).decode() for k, v in csrs.items()
        },
        "keyManagementHistory": key_history,
        "p12Password": p12_password,
    }
    doc = await transport.json_object(
        "POST",
        f"{card_authority_url}/admin/cards",
        json=body,
        headers={"Authorization": f"Bearer {admin_token}"},
        during="card issuance",
    )
    puk = doc.get("puk")
    if not (isinstance(puk, str) and puk.isascii() and puk.isdigit() and len(puk) == 8):
        raise MalformedAnswerError("the card authority set no 8-digit PUK", "card issuance")
    card.puk = puk
    card.card_uuid = uuid.UUID(doc["cardUuid"])
    card.load_certificate(
        Slot.PIV_AUTH,
        x509.load_pem_x509_certificate(doc["certificates"]["pivAuthentication"].encode()),
    )
    card.load_certificate(
        Slot.DIGITAL_SIGNATURE,
        x509.load_pem_x509_certificate(doc["certificates"]["digitalSignature"].encode()),
    )
    card.chain = x509.load_pem_x509_certificates(doc["chain"].encode())
    km = sorted(doc["keyManagement"], key=lambda i: not i["current"])
    slots = [Slot.KEY_MANAGEMENT.value, *RETIRED_KM_SLOTS]
    for slot, item in zip(slots, km, strict=False):
        kc = from_pkcs12(base64.b64decode(item["pkcs12"]), p12_password.encode())
        card.import_key(slot, kc.key, kc.cert)
    return User(name, upn, email, card)


@dataclass(frozen=True)
class EnrollmentOffer:
    """What the portal shows after a successful sign-in: a QR code and (Entrust) a password."""

    id: str
    qr_png: bytes
    password: str | None
    expires_at: str


@dataclass
class PortalSession:
    base_url: str
    token: str
    user: dict[str, Any]
    _session: aiohttp.ClientSession
    _transport: Transport

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def request_enrollment(self) -> EnrollmentOffer:
        doc = await self._transport.json_object(
            "POST",
            f"{self.base_url}/portal/enrollments",
            json={},
            headers=self._auth,
            session=self._session,
            during="portal: request a derived credential",
        )
        _, _, png = await self._transport.request(
            "GET",
            f"{self.base_url}{doc['qr']}",
            headers=self._auth,
            session=self._session,
            during="portal: show the QR code",
        )
        return EnrollmentOffer(doc["id"], png, doc.get("password"), doc["expiresAt"])

    async def enrollment_status(self, enrollment_id: str) -> dict[str, Any]:
        doc: dict[str, Any] = await self._transport.json_object(
            "GET",
            f"{self.base_url}/portal/enrollments/{enrollment_id}",
            headers=self._auth,
            session=self._session,
            during="portal: enrollment status",
        )
        return doc

    async def close(self) -> None:
        await self._session.close()


@dataclass
class Workstation:
    """A smart-card-enabled PC; its browser trusts the lab TLS root."""

    transport: Transport
    sessions: list[PortalSession] = field(default_factory=list)

    async def sign_in(self, user: User, portal_url: str) -> PortalSession:
        """Insert the card, type the PIN, open the portal: TLS client authentication with the
        card's PIV Authentication key."""
        user.card.end_session()
        user.card.verify_pin(user.typed_pin)
        chain, key = user.card.tls_credential()
        ctx = client_context(self.transport.anchors, client_chain=chain, client_key=key)
        session = mtls_session(ctx)
        try:
            doc = await self.transport.json_object(
                "POST", f"{portal_url}/portal/session", session=session, during="portal sign-in"
            )
        except BaseException:
            await session.close()
            raise
        portal = PortalSession(portal_url, doc["session"], doc["user"], session, self.transport)
        self.sessions.append(portal)
        return portal

    async def close(self) -> None:
        for s in self.sessions:
            await s.close()
        self.sessions.clear()
