"""A software PIV card (SP 800-73 slots, PIN with a retry counter, PUK).

Keys for PIV Authentication (9A) and Digital Signature (9C) are generated on the card; the
key-management key (9D) and the retired key-management keys (82..95) are written to the card by
the card management system, which keeps an escrow copy. Private-key operations need the PIN to
have been verified in this card session; the PIN locks after `max_tries` wrong tries.

Approximation: Python's `ssl` cannot call into a card for the TLS handshake signature, so
`tls_credential()` hands the PIV Authentication key to the workstation's TLS stack (after the
PIN) instead of signing inside the card.
"""

from __future__ import annotations

import base64
import hmac
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from trust_store.keys import (
    KeyAlgorithm,
    PrivateKey,
    generate_key,
    hash_for,
    load_private_key_pem,
    private_key_pem,
)

from .errors import CardError, CardLockedError, PinIncorrectError, PinRequiredError

DEFAULT_MAX_TRIES = 3
PUK_MAX_TRIES = 10


class Slot(StrEnum):
    PIV_AUTH = "9A"
    DIGITAL_SIGNATURE = "9C"
    KEY_MANAGEMENT = "9D"
    CARD_AUTH = "9E"


#: Retired key-management slots 82..95 (SP 800-73-4 part 1, table 4b).
RETIRED_KM_SLOTS = tuple(f"{n:02X}" for n in range(0x82, 0x96))


@dataclass
class SlotContent:
    key: PrivateKey
    cert: x509.Certificate | None = None


@dataclass
class SoftPIVCard:
    pin: str
    puk: str = "12345678"
    max_tries: int = DEFAULT_MAX_TRIES
    card_uuid: uuid.UUID | None = None
    chain: list[x509.Certificate] = field(default_factory=list)
    slots: dict[str, SlotContent] = field(default_factory=dict)
    tries_left: int = field(init=False)
    puk_tries_left: int = PUK_MAX_TRIES
    _verified: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        if not (self.pin.isdigit() and 6 <= len(self.pin) <= 8):
            raise CardError("a PIV PIN is 6 to 8 digits")
        self.tries_left = self.max_tries

    # --- PIN ----------------------------------------------------------------------------------
    @property
    def locked(self) -> bool:
        return self.tries_left <= 0

    def verify_pin(self, pin: str) -> None:
        if self.locked:
            raise CardLockedError("the card is locked: too many wrong PINs (reset it with the PUK)")
        if not hmac.compare_digest(pin.encode(), self.pin.encode()):
            self.tries_left -= 1
            self._verified = False
            if self.locked:
                raise CardLockedError("PIN incorrect; the card is now locked")
            raise PinIncorrectError(self.tries_left)
        self.tries_left = self.max_tries
        self._verified = True

    def reset_pin(self, puk: str, new_pin: str) -> None:
        if self.puk_tries_left <= 0:
            raise CardLockedError("the PUK is blocked; the card must be replaced")
        if not hmac.compare_digest(puk.encode(), self.puk.encode()):
            self.puk_tries_left -= 1
            raise PinIncorrectError(self.puk_tries_left)
        if not (new_pin.isdigit() and 6 <= len(new_pin) <= 8):
            raise CardError("a PIV PIN is 6 to 8 digits")
        self.pin, self.tries_left, self.puk_tries_left = new_pin, self.max_tries, PUK_MAX_TRIES

    def end_session(self) -> None:
        """Card removed or session closed: the PIN must be verified again."""
        self._verified = False

    def _need_pin(self) -> None:
        if self.locked:
            raise CardLockedError("the card is locked")
        if not self._verified:
            raise PinRequiredError("verify the PIN first")

    # --- personalisation ----------------------------------------------------------------------
    def generate_key_pair(
        self, slot: Slot, alg: KeyAlgorithm, subject_cn: str
    ) -> x509.CertificateSigningRequest:
        """Generate a key in `slot` and return a PKCS#10 request signed by it."""
        key = generate_key(alg)
        self.slots[slot] = SlotContent(key)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject_cn)])
        return x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hash_for(key))

    def load_certificate(self, slot: str, cert: x509.Certificate) -> None:
        content = self.slots.get(slot)
        if content is None or content.key.public_key() != cert.public_key():
            raise CardError(f"certificate does not match the key in slot {slot}")
        content.cert = cert

    def import_key(self, slot: str, key: PrivateKey, cert: x509.Certificate) -> None:
        if key.public_key() != cert.public_key():
            raise CardError("key and certificate do not match")
        self.slots[slot] = SlotContent(key, cert)

    # --- use ----------------------------------------------------------------------------------
    def certificate(self, slot: str) -> x509.Certificate:
        content = self.slots.get(slot)
        if content is None or content.cert is None:
            raise CardError(f"slot {slot} is empty")
        return content.cert

    def key_management_history(self) -> list[x509.Certificate]:
        """Current key-management certificate, then retired ones (newest first)."""
        out = []
        for slot in (Slot.KEY_MANAGEMENT, *RETIRED_KM_SLOTS):
            content = self.slots.get(slot)
            if content and content.cert:
                out.append(content.cert)
        return out

    def sign(self, slot: str, data: bytes) -> bytes:
        self._need_pin()
        key = self.slots[slot].key
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), hash_for(key))
        return key.sign(data, ec.ECDSA(hash_for(key)))

    def tls_credential(self) -> tuple[list[x509.Certificate], PrivateKey]:
        """The PIV Authentication certificate chain and key for a TLS client handshake."""
        self._need_pin()
        content = self.slots.get(Slot.PIV_AUTH)
        if content is None or content.cert is None:
            raise CardError("the card has no PIV Authentication certificate")
        return [content.cert, *self.chain], content.key


def _der(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(Encoding.DER)).decode()


def _cert(text: str) -> x509.Certificate:
    return x509.load_der_x509_certificate(base64.b64decode(text))


def card_to_json(card: SoftPIVCard, kek: bytes) -> dict[str, Any]:
    """The card as a JSON document, private keys encrypted under `kek` (the user's card kept
    beside the devices of `dcemu enroll`, so a resumed device has the same user)."""
    return {
        "pin": card.pin,
        "puk": card.puk,
        "maxTries": card.max_tries,
        "triesLeft": card.tries_left,
        "pukTriesLeft": card.puk_tries_left,
        "cardUuid": str(card.card_uuid) if card.card_uuid else None,
        "chain": [_der(c) for c in card.chain],
        "slots": {
            slot: {
                "key": private_key_pem(content.key, kek).decode(),
                "cert": _der(content.cert) if content.cert is not None else None,
            }
            for slot, content in card.slots.items()
        },
    }


def card_from_json(doc: dict[str, Any], kek: bytes) -> SoftPIVCard:
    card = SoftPIVCard(pin=str(doc["pin"]), puk=str(doc["puk"]), max_tries=int(doc["maxTries"]))
    card.tries_left = int(doc["triesLeft"])
    card.puk_tries_left = int(doc["pukTriesLeft"])
    card.card_uuid = uuid.UUID(doc["cardUuid"]) if doc.get("cardUuid") else None
    card.chain = [_cert(c) for c in doc.get("chain", [])]
    for slot, content in doc.get("slots", {}).items():
        key = load_private_key_pem(content["key"].encode(), kek)
        cert = _cert(content["cert"]) if content.get("cert") else None
        card.slots[slot] = SlotContent(key, cert)
    return card
