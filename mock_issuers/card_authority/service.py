"""The card authority's state and operations: issue a card, revoke it, recover its escrow.

Each card gets its own PUK (8 digits from the card authority's seeded randomness), set at
personalisation and told once, in the issuance answer; the card authority keeps no copy.

Every operation takes already-validated input; the mutating part runs without awaiting, so
concurrent requests never see half an issuance. What it changes goes to its storage (`store.py`;
the card CA's own records through `CertificateAuthority.attach`), committed before the answer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from servicekit.problems import NotFound
from servicekit.storage import MemoryStorage, Storage
from trust_store import certprofiles as cp
from trust_store.clock import Clock
from trust_store.keys import PrivateKey
from trust_store.labpki import LabPKI
from trust_store.pem import cert_pem, certs_pem
from trust_store.randomness import Randomness

from ..revocation import point_revocation_urls
from ..settings import CardAuthoritySettings
from .cards import CardRecord, CardRequest
from .escrow import certify_history
from .store import CardStore, card_summary
from .vault import KeyVault

#: A PIV PUK is 8 digits (SP 800-73-4 part 2, PIN and PUK formats).
PUK_DIGITS = 8


@dataclass
class CardAuthority:
    settings: CardAuthoritySettings
    pki: LabPKI
    clock: Clock
    rand: Randomness
    #: Where the cards and the card CA's records are kept (memory unless the lab gives one).
    storage: Storage = field(default_factory=MemoryStorage, repr=False)
    store: CardStore = field(init=False, repr=False)
    #: Where PUKs come from (its own stream, so PUKs do not shift the other draws).
    puks: Randomness = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.puks = self.rand.child("puk")
        ca = self.pki.piv.issuing
        ca.attach(self.storage)
        self.store = CardStore(self.storage, ca, KeyVault.of(self.pki))

    @property
    def cards(self) -> dict[uuid.UUID, CardRecord]:
        return self.store.cards

    @property
    def chain(self) -> list[x509.Certificate]:
        """Card CA, then the PIV root."""
        return self.pki.piv.issuing.chain

    def issue(self, request: CardRequest, km_keys: list[PrivateKey]) -> CardRecord:
        ca = self.pki.piv.issuing
        point_revocation_urls(ca, self.settings.public_url)
        card_uuid = self.rand.uuid4()
        while self.store.taken(card_uuid):  # never given before, also across restarts
            card_uuid = self.rand.uuid4()
        subject = request.user.subject(card_uuid)
        record = CardRecord(
            card_uuid,
            request.user,
            ca.issue(request.piv_authentication.public_key, subject, cp.PIV_CARD_AUTH),
            ca.issue(request.digital_signature.public_key, subject, cp.PIV_CARD_SIGNATURE),
            certify_history(ca, km_keys, subject, self.settings.key_history_spacing),
            issued_at=self.clock.now(),
        )
        self.store.add(record)
        return record

    def card(self, card_id: str) -> CardRecord:
        try:
            key = uuid.UUID(card_id)
        except ValueError:
            raise NotFound(f"no card {card_id!r}") from None
        record = self.cards.get(key)
        if record is None:
            raise NotFound(f"no card {card_id!r}")
        return record

    def revoke(self, record: CardRecord, reason: x509.ReasonFlags) -> list[int]:
        ca = self.pki.piv.issuing
        serials = [c.serial_number for c in record.certificates()]
        for serial in serials:
            ca.revoke(serial, reason)
        return serials

    def issuance_answer(self, record: CardRecord, password: bytes) -> dict[str, Any]:
        """The answer to `POST /admin/cards`: the card's certificates, its escrowed keys under
        `password`, the chain, and its PUK, made here and told only this once."""
        return {
            "cardUuid": str(record.uuid),
            "puk": self.puks.digits(PUK_DIGITS),
            "certificates": {
                "pivAuthentication": cert_pem(record.piv_authentication).decode(),
                "digitalSignature": cert_pem(record.digital_signature).decode(),
            },
            "keyManagement": self.escrow_json(record, password),
            "chain": certs_pem(self.chain).decode(),
        }

    def escrow_json(self, record: CardRecord, password: bytes) -> list[dict[str, Any]]:
        """The escrowed key-management keys, newest first, as PKCS#12 under `password`."""
        return [k.to_json(password, self.chain) for k in record.key_management]

    def listing(self) -> list[dict[str, Any]]:
        """Every card, in the order issued (`GET /admin/cards`)."""
        return [card_summary(r, self.pki.piv.issuing) for r in self.cards.values()]

    def snapshot(self) -> dict[str, Any]:
        """What a refused request must leave unchanged (tests and `/admin/` compare it)."""
        ca = self.pki.piv.issuing
        return {
            "cards": sorted(str(u) for u in self.cards),
            "issued": len(ca.issued),
            "revoked": sorted(s for s, r in ca.issued.items() if r.revoked_at is not None),
        }

    def reset(self) -> None:
        """Forget the cards; the card CA keeps its records (certificates issued stay known to
        OCSP and their serials, like the cards' UUIDs, are never used again)."""
        self.store.clear()
