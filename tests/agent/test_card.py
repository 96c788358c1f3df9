from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from agent.card import Slot, SoftPIVCard
from agent.errors import CardError, CardLockedError, PinIncorrectError, PinRequiredError
from trust_store.keys import KeyAlgorithm


def make_card() -> SoftPIVCard:
    card = SoftPIVCard(pin="123456")
    card.generate_key_pair(Slot.PIV_AUTH, KeyAlgorithm.EC_P256, "Alice")
    return card


def test_pin_must_be_six_to_eight_digits() -> None:
    for bad in ("12345", "123456789", "12a456"):
        with pytest.raises(CardError):
            SoftPIVCard(pin=bad)


def test_signing_needs_the_pin() -> None:
    card = make_card()
    with pytest.raises(PinRequiredError):
        card.sign(Slot.PIV_AUTH, b"challenge")
    card.verify_pin("123456")
    sig = card.sign(Slot.PIV_AUTH, b"challenge")
    pub = card.slots[Slot.PIV_AUTH].key.public_key()
    assert isinstance(pub, ec.EllipticCurvePublicKey)
    pub.verify(sig, b"challenge", ec.ECDSA(hashes.SHA256()))


def test_wrong_pin_counts_down_and_locks_and_right_pin_then_fails() -> None:
    card = make_card()
    with pytest.raises(PinIncorrectError) as e1:
        card.verify_pin("000000")
    assert e1.value.remaining == 2
    with pytest.raises(PinIncorrectError) as e2:
        card.verify_pin("000000")
    assert e2.value.remaining == 1
    with pytest.raises(CardLockedError):
        card.verify_pin("000000")
    assert card.locked
    with pytest.raises(CardLockedError):
        card.verify_pin("123456")  # even the right PIN is refused once locked
    with pytest.raises(CardLockedError):
        card.tls_credential()


def test_right_pin_resets_the_counter() -> None:
    card = make_card()
    with pytest.raises(PinIncorrectError):
        card.verify_pin("000000")
    card.verify_pin("123456")
    assert card.tries_left == card.max_tries


def test_puk_unblocks_with_a_new_pin() -> None:
    card = make_card()
    for _ in range(3):
        with pytest.raises(CardError):
            card.verify_pin("000000")
    with pytest.raises(PinIncorrectError):
        card.reset_pin("00000000", "654321")
    card.reset_pin("12345678", "654321")
    card.verify_pin("654321")
    assert not card.locked


def test_end_session_requires_pin_again() -> None:
    card = make_card()
    card.verify_pin("123456")
    card.end_session()
    with pytest.raises(PinRequiredError):
        card.sign(Slot.PIV_AUTH, b"x")


def test_certificate_must_match_slot_key(pki) -> None:  # type: ignore[no-untyped-def]
    from trust_store import certprofiles as cp
    from trust_store.keys import generate_key

    card = make_card()
    other = generate_key(KeyAlgorithm.EC_P256)
    cert = pki.piv.issuing.issue(other.public_key(), cp.Subject("Alice"), cp.PIV_CARD_AUTH)
    with pytest.raises(CardError):
        card.load_certificate(Slot.PIV_AUTH, cert)
