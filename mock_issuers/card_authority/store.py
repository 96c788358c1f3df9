"""The card authority's records in its storage, and the model rebuilt from them at start.

Collections:
- `cards`: one document per card: UUID, user, when it was issued, the serials of its PIV
  Authentication and digital signature certificates, and its escrowed key-management keys
  (friendly name, serial, the private key sealed by `vault.KeyVault`). The certificates
  themselves, and their revocation, are the card CA's records (`issued/piv-issuing`, kept by
  `CertificateAuthority.attach` in the same storage); a card's status is computed from them.
- `card-uuids`: every card UUID ever given, so none is given twice, even after
  `/admin/reset` (which forgets the cards, not the certificates issued to them) and a restart
  with the same seed.

The server keeps no PIN or PUK (each PUK is told once and kept nowhere), so there are no
counters to keep.
"""

from __future__ import annotations

import uuid
from typing import Any

from cryptography import x509

from servicekit.storage import Storage
from trust_store.ca import CertificateAuthority
from trust_store.clock import isoformat, parse_iso

from ..persistence import StoredStateError
from .cards import CardRecord, CardUser
from .escrow import EscrowedKey
from .vault import KeyVault

CARDS = "cards"
CARD_UUIDS = "card-uuids"


class CardStore:
    def __init__(self, storage: Storage, ca: CertificateAuthority, vault: KeyVault) -> None:
        self.storage = storage
        self.ca = ca
        self.vault = vault
        self.cards: dict[uuid.UUID, CardRecord] = {}
        self._used = {uuid.UUID(k) for k in storage.load(CARD_UUIDS)}
        for doc in storage.load(CARDS).values():
            record = self._from_json(doc)
            self.cards[record.uuid] = record
            self._used.add(record.uuid)

    def taken(self, card_uuid: uuid.UUID) -> bool:
        return card_uuid in self._used

    def add(self, record: CardRecord) -> None:
        self.cards[record.uuid] = record
        self._used.add(record.uuid)
        self.storage.put(CARD_UUIDS, str(record.uuid), {})
        self.storage.put(CARDS, str(record.uuid), self._to_json(record))

    def clear(self) -> None:
        """Forget the cards (their UUIDs stay taken, their certificates stay the CA's)."""
        self.cards.clear()
        self.storage.clear(CARDS)

    # --- documents ----------------------------------------------------------------------------
    def _to_json(self, record: CardRecord) -> dict[str, Any]:
        return {
            "uuid": str(record.uuid),
            "user": record.user.to_json(),
            "issuedAt": isoformat(record.issued_at),
            "pivAuthentication": f"{record.piv_authentication.serial_number:x}",
            "digitalSignature": f"{record.digital_signature.serial_number:x}",
            "keyManagement": [
                {
                    "friendlyName": k.friendly_name,
                    "current": k.current,
                    "serial": f"{k.cert.serial_number:x}",
                    "key": self.vault.seal(k.key, _slot(record.uuid, i)),
                }
                for i, k in enumerate(record.key_management)
            ],
        }

    def _from_json(self, doc: dict[str, Any]) -> CardRecord:
        card_uuid = uuid.UUID(doc["uuid"])
        user = doc["user"]
        return CardRecord(
            card_uuid,
            CardUser(user["name"], user["upn"], user.get("email")),
            self._cert(doc["pivAuthentication"]),
            self._cert(doc["digitalSignature"]),
            [
                EscrowedKey(
                    k["friendlyName"],
                    bool(k["current"]),
                    self.vault.open(k["key"], _slot(card_uuid, i)),
                    self._cert(k["serial"]),
                )
                for i, k in enumerate(doc["keyManagement"])
            ],
            issued_at=parse_iso(doc["issuedAt"]),
        )

    def _cert(self, serial_hex: str) -> x509.Certificate:
        rec = self.ca.issued.get(int(serial_hex, 16))
        if rec is None:
            raise StoredStateError(f"{self.ca.name} holds no certificate with serial {serial_hex}")
        return rec.cert


def _slot(card_uuid: uuid.UUID, index: int) -> str:
    """What a sealed key is bound to: its card and its place in the key history."""
    return f"card/{card_uuid}/key-management/{index}"


def card_summary(record: CardRecord, ca: CertificateAuthority) -> dict[str, Any]:
    """A card as `GET /admin/cards` lists it; revoked when its PIV Authentication certificate
    is (revoking a card revokes every certificate of it)."""
    auth = record.piv_authentication
    rec = ca.issued.get(auth.serial_number)
    revoked_at = rec.revoked_at if rec is not None else None
    reason = rec.reason if rec is not None else None
    return {
        "cardUuid": str(record.uuid),
        "upn": record.user.upn,
        "name": record.user.name,
        "status": "active" if revoked_at is None else "revoked",
        "reason": None if reason is None else reason.value,
        "issuedAt": isoformat(record.issued_at),
        "notBefore": isoformat(auth.not_valid_before_utc),
        "notAfter": isoformat(auth.not_valid_after_utc),
        "revokedAt": None if revoked_at is None else isoformat(revoked_at),
        "certificates": [f"{c.serial_number:x}" for c in record.certificates()],
    }
