"""Unit tests of the device side of automatic re-key: reading the issuer's answers (tolerant of
unknown fields, strict about what it needs) and which kinds a device re-keys."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest

from agent.errors import EnrollmentError, UnsupportedError
from agent.issuers import Entrust, Intercede, Purebred
from agent.issuers.rekey import RekeyAnswer, RekeyOffer
from agent.rekey import device_csr, rekeyed_role
from trust_store import certprofiles as cp
from trust_store.keys import KeyAlgorithm, generate_key
from trust_store.labpki import LabPKI
from trust_store.pkcs import certs_only
from trust_store.stores import CredentialRole

OFFER = {
    "enrollment": "abc",
    "rekeyDue": True,
    "reason": "expiry",
    "notAfter": "2027-01-05T09:00:00Z",
    "rekeyAt": "2026-12-08T09:00:00Z",
    "requests": ["pivAuthentication", "digitalSignature"],
}


def test_offer_reads_what_it_needs_and_ignores_the_rest() -> None:
    offer = RekeyOffer.from_json({**OFFER, "somethingNew": {"x": 1}})
    assert offer.due and offer.reason == "expiry"
    assert offer.rekey_at == dt.datetime(2026, 12, 8, 9, tzinfo=dt.UTC)
    assert offer.not_after - offer.rekey_at == dt.timedelta(days=28)
    assert offer.requests == ("pivAuthentication", "digitalSignature")
    assert RekeyOffer.from_json({**OFFER, "rekeyDue": False, "reason": None}).reason is None


@pytest.mark.parametrize(
    "doc",
    [
        None,
        [],
        {k: v for k, v in OFFER.items() if k != "rekeyDue"},
        {**OFFER, "rekeyDue": "yes"},
        {**OFFER, "notAfter": "soon"},
        {**OFFER, "requests": "pivAuthentication"},
    ],
)
def test_offer_refuses_what_it_cannot_use(doc: Any) -> None:
    with pytest.raises(EnrollmentError):
        RekeyOffer.from_json(doc)


def test_answer_reads_certificates(pki: LabPKI) -> None:
    key = generate_key(KeyAlgorithm.EC_P256)
    issuing = pki.derived["intercede"].issuing
    leaf = issuing.issue(key.public_key(), cp.Subject("Alice"), cp.DERIVED_PIV_AUTH)
    b64 = base64.b64encode(certs_only([leaf, issuing.cert])).decode()
    answer = RekeyAnswer.from_json(
        {"reason": "expiry", "certificates": {"pivAuthentication": b64}, "revoked": ["1f"]}
    )
    assert set(answer.certificates["pivAuthentication"]) == {leaf, issuing.cert}
    assert answer.revoked == ("1f",)
    with pytest.raises(EnrollmentError):
        RekeyAnswer.from_json({"reason": "expiry", "certificates": {"pivAuthentication": "AAAA"}})
    with pytest.raises(EnrollmentError):
        RekeyAnswer.from_json({"certificates": {}})


def test_only_derived_kinds_are_rekeyed() -> None:
    assert rekeyed_role("pivAuthentication") is CredentialRole.PIV_AUTH
    assert rekeyed_role("digitalSignature") is CredentialRole.SIGNATURE
    with pytest.raises(UnsupportedError):
        rekeyed_role("keyManagement")  # the card's escrowed keys
    with pytest.raises(UnsupportedError):
        rekeyed_role("somethingElse")


def test_capability_is_data_on_the_issuer_class() -> None:
    assert [cls.auto_rekey for cls in (Entrust, Intercede, Purebred)] == [False, True, False]


def test_device_csr_proves_possession() -> None:
    key = generate_key(KeyAlgorithm.EC_P256)
    csr = device_csr(key)
    assert csr.is_signature_valid and csr.public_key() == key.public_key()
