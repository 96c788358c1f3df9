"""Intercede MyID automatic re-key over loopback mutual TLS: the device asks with its current
derived credential whether a re-key is due (28 days before expiry, or a DN/email change), sends
new CSRs, gets new certificates; the superseded ones are revoked (OCSP, CRL). Refusals are typed
and change nothing; concurrent re-keys issue once; Entrust offers none of it.

The lab clock starts at the real time here: the TLS layer checks client certificates against
the real clock, so an old certificate must be valid in real time while the lab clock moves on.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp as x509_ocsp
from cryptography.x509.oid import NameOID

from servicekit.problems import Problem
from tests.mock_issuers.conftest import Device, Lab
from tests.mock_issuers.testkit import (
    SoftCard,
    b64,
    csr_der,
    csr_signed_by_other_key,
    ec_key,
    expect_problem,
    split_certs_only,
    tampered,
    weak_rsa_key,
)
from trust_store import ocsp
from trust_store.ca import CertStatus
from trust_store.clock import ManualClock
from trust_store.oids import DERIVED_PIV_AUTH, MS_UPN

UPDATES = "/device/v1/credential/updates"
REKEY = "/device/v1/credential/rekey"
KINDS = ("pivAuthentication", "digitalSignature")
LABELS = {"pivAuthentication": "pivauth", "digitalSignature": "signature"}
WINDOW = dt.timedelta(days=28)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@dataclass
class Credential:
    """An enrolled device: both derived certificates and their keys."""

    lab: Lab
    issuer: str
    card: SoftCard
    device: Device
    keys: dict[str, ec.EllipticCurvePrivateKey]
    certs: dict[str, x509.Certificate]

    @property
    def url(self) -> str:
        return self.lab.url(self.issuer)

    @property
    def auth(self) -> x509.Certificate:
        return self.certs["pivAuthentication"]

    def mtls(self, cert: x509.Certificate | None = None, key: Any = None) -> aiohttp.ClientSession:
        """A device session presenting the PIV Authentication credential (or another)."""
        issuing = self.lab.pki.derived[self.issuer].issuing.cert
        return self.lab.client(
            client_chain=[cert or self.auth, issuing],
            client_key=key or self.keys["pivAuthentication"],
        )

    def csrs(self, **override: str) -> dict[str, Any]:
        return {"csrs": {k: override.get(k, b64(csr_der(ec_key()))) for k in KINDS}}


async def enrolled(lab: Lab, issuer: str = "intercede", card: SoftCard | None = None) -> Credential:
    card = card or await lab.issue_card()
    device = await lab.activate(await lab.enroll(card, issuer), card.upn)
    keys = {k: ec_key() for k in KINDS}
    certs = {k: await device.enroll_cert(LABELS[k], keys[k]) for k in KINDS}
    return Credential(lab, issuer, card, device, keys, certs)


async def updates(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with session.get(url + UPDATES) as r:
        assert r.status == 200, await r.text()
        doc: dict[str, Any] = await r.json()
        return doc


async def rekey(session: aiohttp.ClientSession, url: str, body: Any) -> dict[str, Any]:
    async with session.post(url + REKEY, json=body) as r:
        assert r.status == 200, await r.text()
        doc: dict[str, Any] = await r.json()
        return doc


def leaves(doc: dict[str, Any]) -> dict[str, x509.Certificate]:
    return {k: split_certs_only(base64.b64decode(v))[0] for k, v in doc["certificates"].items()}


async def ocsp_answer(cred: Credential, cert: x509.Certificate) -> x509_ocsp.OCSPResponse:
    issuing = cred.lab.pki.derived[cred.issuer].issuing.cert
    nonce = b"rekey-nonce-0001"
    async with cred.lab.anonymous().post(
        f"{cred.url}/ocsp",
        data=ocsp.build_request(cert, issuing, nonce),
        headers={"Content-Type": "application/ocsp-request"},
    ) as r:
        der = await r.read()
    ocsp.check_response(der, cert, issuing, cred.lab.clock.now(), nonce)  # signed, fresh
    return x509_ocsp.load_der_ocsp_response(der)


async def crl(cred: Credential) -> x509.CertificateRevocationList:
    async with cred.lab.anonymous().get(f"{cred.url}/crl") as r:
        return x509.load_der_x509_crl(await r.read())


def crl_reason(crl_: x509.CertificateRevocationList, serial: int) -> x509.ReasonFlags:
    entry = crl_.get_revoked_certificate_by_serial_number(serial)
    assert entry is not None
    return entry.extensions.get_extension_for_class(x509.CRLReason).value.reason


def to_rekey_at(cred: Credential) -> dt.timedelta:
    """How far the lab clock must move for the credential to be due by expiry."""
    return min(c.not_valid_after_utc for c in cred.certs.values()) - WINDOW - cred.lab.clock.now()


# --- not due / due ------------------------------------------------------------------------------


async def test_not_due_says_so_and_refuses_a_rekey(lab: Lab) -> None:
    cred = await enrolled(lab)
    session = cred.mtls()
    doc = await updates(session, cred.url)
    assert doc["rekeyDue"] is False and doc["reason"] is None
    assert doc["enrollment"] == cred.device.activation["enrollment"]
    assert doc["requests"] == list(KINDS)
    not_after = cred.auth.not_valid_after_utc
    assert doc["notAfter"] == not_after.isoformat().replace("+00:00", "Z")
    assert doc["rekeyAt"] == (not_after - WINDOW).isoformat().replace("+00:00", "Z")
    before = lab.service("intercede").snapshot()
    async with session.post(cred.url + REKEY, json=cred.csrs()) as r:
        problem = await expect_problem(r, 409, "rekey-not-due")
    assert problem["rekeyAt"] == doc["rekeyAt"]
    assert lab.service("intercede").snapshot() == before


async def test_due_28_days_before_expiry_rekeys_and_revokes_the_old(lab: Lab) -> None:
    cred = await enrolled(lab)
    lab.clock.advance(to_rekey_at(cred) - dt.timedelta(seconds=1))
    session = cred.mtls()
    assert (await updates(session, cred.url))["rekeyDue"] is False
    lab.clock.advance(dt.timedelta(seconds=1))
    doc = await updates(session, cred.url)
    assert (doc["rekeyDue"], doc["reason"]) == (True, "expiry")

    body = cred.csrs()
    new = leaves(await rekey(session, cred.url, body))
    assert set(new) == set(KINDS)
    for kind, cert in new.items():
        csr = x509.load_der_x509_csr(base64.b64decode(body["csrs"][kind]))
        assert cert.public_key() == csr.public_key()
        assert cert.subject == cred.certs[kind].subject
        assert cert.not_valid_before_utc <= lab.clock.now() < cert.not_valid_after_utc
        assert cert.not_valid_after_utc - lab.clock.now() > dt.timedelta(days=360)
        cert.verify_directly_issued_by(lab.pki.derived["intercede"].issuing.cert)
    policies = new["pivAuthentication"].extensions.get_extension_for_class(x509.CertificatePolicies)
    assert [p.policy_identifier for p in policies.value] == [DERIVED_PIV_AUTH]

    ca = lab.pki.derived["intercede"].issuing
    revocations = await crl(cred)
    for old in cred.certs.values():
        assert ca.status(old.serial_number) is CertStatus.REVOKED
        answer = await ocsp_answer(cred, old)
        assert answer.certificate_status is x509_ocsp.OCSPCertStatus.REVOKED
        assert answer.revocation_reason is x509.ReasonFlags.superseded
        assert crl_reason(revocations, old.serial_number) is x509.ReasonFlags.superseded
    for cert in new.values():
        assert (await ocsp_answer(cred, cert)).certificate_status is x509_ocsp.OCSPCertStatus.GOOD
    enrollment = lab.service("intercede").enrollments.get(cred.device.activation["enrollment"])
    assert enrollment.generation == 1 and enrollment.issued == new

    # The superseded credential no longer authenticates: the device holds its successor.
    async with cred.mtls().get(cred.url + UPDATES) as r:
        await expect_problem(r, 409, "already-rekeyed")


@pytest.mark.parametrize(
    "issuer_settings", [{"intercede": {"rekey_before_expiry": dt.timedelta(days=60)}}]
)
async def test_the_window_is_configurable(lab: Lab) -> None:
    cred = await enrolled(lab)
    session = cred.mtls()
    lab.clock.advance(to_rekey_at(cred) - dt.timedelta(days=33))  # 61 days before expiry
    assert (await updates(session, cred.url))["rekeyDue"] is False
    lab.clock.advance(dt.timedelta(days=1))  # 60 days before expiry
    doc = await updates(session, cred.url)
    assert (doc["rekeyDue"], doc["reason"]) == (True, "expiry")
    await rekey(session, cred.url, cred.csrs())


# --- DN / email change --------------------------------------------------------------------------


async def test_name_and_email_change_rekeys_with_the_new_subject(lab: Lab) -> None:
    cred = await enrolled(lab)
    other = await enrolled(lab, card=await lab.issue_card("bob@agency.example", "Bob Example"))
    change = {"name": "Alice Married-Name", "email": "alice.mn@agency.example"}
    async with lab.admin().post(f"{cred.url}/admin/people/ALICE@agency.example", json=change) as r:
        assert r.status == 200, await r.text()
        person = await r.json()
    assert person["rekeyDue"] == [cred.device.activation["enrollment"]]
    assert person["name"] == change["name"] and "CN=Alice Married-Name" in person["subject"]

    session = cred.mtls()
    doc = await updates(session, cred.url)
    assert (doc["rekeyDue"], doc["reason"]) == (True, "subject-changed")
    assert (await updates(other.mtls(), other.url))["rekeyDue"] is False

    new_keys = {k: ec_key() for k in KINDS}
    body = {"csrs": {k: b64(csr_der(new_keys[k])) for k in KINDS}}
    new = leaves(await rekey(session, cred.url, body))
    for kind, cert in new.items():
        cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        assert cn == "Alice Married-Name"
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.RFC822Name) == [change["email"]]
        old_san = cred.certs[kind].extensions.get_extension_for_class(x509.SubjectAlternativeName)
        # The card's UUID and the UPN stay.
        assert san.get_values_for_type(x509.UniformResourceIdentifier) == (
            old_san.value.get_values_for_type(x509.UniformResourceIdentifier)
        )
        assert [n for n in san if isinstance(n, x509.OtherName) and n.type_id == MS_UPN]
    revocations = await crl(cred)
    for old in cred.certs.values():
        assert crl_reason(revocations, old.serial_number) is x509.ReasonFlags.affiliation_changed

    # The lab clock did not move, so the new credential is valid in real time too: it
    # authenticates, and matches the directory now.
    renewed = Credential(lab, "intercede", cred.card, cred.device, new_keys, new)
    doc = await updates(renewed.mtls(), renewed.url)
    assert (doc["rekeyDue"], doc["reason"]) == (False, None)


async def test_people_route_refuses_bad_fields_and_changes_nothing(lab: Lab) -> None:
    cred = await enrolled(lab)
    service = lab.service("intercede")
    bad: list[tuple[Any, int, str]] = [
        ({}, 400, "malformed"),
        ({"name": ""}, 400, "malformed"),
        ({"name": " padded "}, 400, "malformed"),
        ({"name": "x" * 65}, 400, "malformed"),
        ({"name": "Tab\there"}, 400, "malformed"),
        ({"name": 42}, 400, "malformed"),
        ({"email": "not-an-address"}, 400, "malformed"),
        ({"email": "alice@"}, 400, "malformed"),
        ({"email": "äl@agency.example"}, 400, "malformed"),
        ({"email": "a" * 65 + "@agency.example"}, 400, "malformed"),
        (["name"], 400, "malformed"),
    ]
    url = f"{cred.url}/admin/people/{cred.card.upn}"
    for body, status, kind in bad:
        before = service.snapshot()
        async with lab.admin().post(url, json=body) as r:
            await expect_problem(r, status, kind)
        assert service.snapshot() == before, body
    before = service.snapshot()
    async with lab.admin().post(url, data="name=x") as r:
        await expect_problem(r, 415, "unsupported-media-type")
    async with lab.admin().post(
        f"{cred.url}/admin/people/nobody@agency.example", json={"name": "N"}
    ) as r:
        await expect_problem(r, 404, "not-found")
    assert service.snapshot() == before
    assert (await updates(cred.mtls(), cred.url))["rekeyDue"] is False


# --- Entrust ------------------------------------------------------------------------------------


async def test_entrust_offers_no_rekey(lab: Lab) -> None:
    cred = await enrolled(lab, "entrust")
    lab.clock.advance(to_rekey_at(cred))
    session = cred.mtls()
    before = lab.service("entrust").snapshot()
    async with session.get(cred.url + UPDATES) as r:
        await expect_problem(r, 404, "not-found")
    async with session.post(cred.url + REKEY, json=cred.csrs()) as r:
        await expect_problem(r, 404, "not-found")
    async with lab.admin().post(
        f"{cred.url}/admin/people/{cred.card.upn}", json={"name": "New"}
    ) as r:
        await expect_problem(r, 404, "not-found")
    assert lab.service("entrust").snapshot() == before


# --- who may ask --------------------------------------------------------------------------------


async def _refused(
    cred: Credential, session: aiohttp.ClientSession, status: int, kind: str
) -> None:
    service = cred.lab.service("intercede")
    before = service.snapshot()
    async with session.get(cred.url + UPDATES) as r:
        await expect_problem(r, status, kind)
    async with session.post(cred.url + REKEY, json=cred.csrs()) as r:
        await expect_problem(r, status, kind)
    assert service.snapshot() == before


async def test_no_client_certificate(lab: Lab) -> None:
    cred = await enrolled(lab)
    lab.clock.advance(to_rekey_at(cred))
    await _refused(cred, lab.anonymous(), 401, "credential-required")


async def test_foreign_certificates_are_untrusted(lab: Lab) -> None:
    cred = await enrolled(lab)
    entrust = await enrolled(lab, "entrust", card=cred.card)
    lab.clock.advance(to_rekey_at(cred))
    # Another issuer's derived credential, and the PIV card itself.
    await _refused(cred, entrust.mtls(), 403, "credential-untrusted")
    await _refused(cred, lab.workstation(cred.card), 403, "credential-untrusted")


async def test_the_signature_certificate_does_not_authenticate(lab: Lab) -> None:
    """Its EKU (emailProtection) makes the TLS layer refuse it before HTTP; the gate would too."""
    cred = await enrolled(lab)
    with pytest.raises(Problem) as e:
        lab.service("intercede").gate.authenticate(cred.certs["digitalSignature"], lab.clock.now())
    assert e.value.kind == "credential-untrusted"


async def test_expired_credential(lab: Lab) -> None:
    cred = await enrolled(lab)
    lab.clock.advance(cred.auth.not_valid_after_utc - lab.clock.now() + dt.timedelta(seconds=1))
    await _refused(cred, cred.mtls(), 403, "credential-expired")


async def test_revoked_credential(lab: Lab) -> None:
    cred = await enrolled(lab)
    lab.clock.advance(to_rekey_at(cred))
    async with lab.admin().post(
        f"{cred.url}/admin/enrollments/{cred.device.activation['enrollment']}/revoke",
        json={"reason": "keyCompromise"},
    ) as r:
        assert r.status == 200
    await _refused(cred, cred.mtls(), 403, "credential-revoked")


async def test_revoked_card_stops_the_rekey(lab: Lab) -> None:
    """Months later the card is terminated: the issuer's periodic re-check of the card (due
    long since) revokes the derived credential first, so the re-key is refused for it; the
    refusal itself changes nothing."""
    cred = await enrolled(lab)
    lab.clock.advance(to_rekey_at(cred))
    await lab.revoke_card(cred.card)
    async with lab.admin().post(cred.url + "/admin/card-recheck") as r:
        assert r.status == 200, await r.text()
    before = lab.service("intercede").snapshot()
    async with cred.mtls().post(cred.url + REKEY, json=cred.csrs()) as r:
        await expect_problem(r, 403, "credential-revoked")
    assert lab.service("intercede").snapshot() == before


# --- single use ---------------------------------------------------------------------------------


async def test_concurrent_rekeys_issue_once(lab: Lab) -> None:
    cred = await enrolled(lab)
    lab.clock.advance(to_rekey_at(cred))
    ca = lab.pki.derived["intercede"].issuing
    issued_before = len(ca.issued)

    async def attempt() -> tuple[int, dict[str, Any]]:
        async with cred.mtls().post(cred.url + REKEY, json=cred.csrs()) as r:
            return r.status, await r.json(content_type=None)

    results = await asyncio.gather(*(attempt() for _ in range(4)))
    statuses = sorted(s for s, _ in results)
    assert statuses == [200, 409, 409, 409], results
    assert {d["type"] for s, d in results if s == 409} == {"urn:dcemu:problem:already-rekeyed"}
    assert len(ca.issued) == issued_before + len(KINDS)
    enrollment = lab.service("intercede").enrollments.get(cred.device.activation["enrollment"])
    assert enrollment.generation == 1


# --- bad requests -------------------------------------------------------------------------------


def _bad_bodies() -> list[Any]:
    a, b = ec_key(), ec_key()
    good = b64(csr_der(ec_key()))
    return [
        pytest.param(
            {"pivAuthentication": b64(tampered(csr_der(a)))}, 400, "csr-invalid", id="tampered"
        ),
        pytest.param(
            {"digitalSignature": b64(csr_signed_by_other_key(a, b))}, 400, "csr-invalid", id="pop"
        ),
        pytest.param(
            {"pivAuthentication": b64(csr_der(weak_rsa_key()))}, 400, "csr-invalid", id="rsa-1024"
        ),
        pytest.param(
            {"pivAuthentication": b64(b"\x30\x03\x02\x01\x00")}, 400, "csr-invalid", id="not-csr"
        ),
        pytest.param({"pivAuthentication": "MII*not base64!"}, 400, "malformed", id="bad-base64"),
        pytest.param({"pivAuthentication": ""}, 400, "malformed", id="empty"),
        pytest.param({"pivAuthentication": 7}, 400, "malformed", id="not-a-string"),
        pytest.param({"keyManagement": good}, 400, "malformed", id="extra-kind"),
        pytest.param({"digitalSignature": None}, 400, "malformed", id="missing-kind"),
        pytest.param({"pivAuthentication": "A" * 9000}, 400, "malformed", id="csr-too-long"),
    ]


@pytest.mark.parametrize(("override", "status", "kind"), _bad_bodies())
async def test_bad_csrs_change_nothing(
    lab: Lab, override: dict[str, Any], status: int, kind: str
) -> None:
    cred = await enrolled(lab)
    lab.clock.advance(to_rekey_at(cred))
    body = cred.csrs()
    for k, v in override.items():
        if v is None:
            del body["csrs"][k]
        else:
            body["csrs"][k] = v
    service = lab.service("intercede")
    before = service.snapshot()
    async with cred.mtls().post(cred.url + REKEY, json=body) as r:
        await expect_problem(r, status, kind)
    assert service.snapshot() == before
    await rekey(cred.mtls(), cred.url, cred.csrs())  # still usable afterwards


async def test_reusing_the_current_key_is_refused(lab: Lab) -> None:
    cred = await enrolled(lab)
    lab.clock.advance(to_rekey_at(cred))
    body = cred.csrs(digitalSignature=b64(csr_der(cred.keys["digitalSignature"])))
    before = lab.service("intercede").snapshot()
    async with cred.mtls().post(cred.url + REKEY, json=body) as r:
        doc = await expect_problem(r, 400, "csr-invalid")
    assert "new" in doc["detail"]
    assert lab.service("intercede").snapshot() == before


@pytest.mark.parametrize(
    ("data", "content_type", "status", "kind"),
    [
        pytest.param(b"{not json", "application/json", 400, "malformed", id="not-json"),
        pytest.param(b'{"csrs": []}', "application/json", 400, "malformed", id="csrs-not-object"),
        pytest.param(b"[]", "application/json", 400, "malformed", id="array"),
        pytest.param(b"{}", "application/pkcs10", 415, "unsupported-media-type", id="media-type"),
        pytest.param(
            b"{" + b" " * (65 * 1024) + b"}", "application/json", 413, "too-large", id="too-large"
        ),
    ],
)
async def test_bad_bodies_change_nothing(
    lab: Lab, data: bytes, content_type: str, status: int, kind: str
) -> None:
    cred = await enrolled(lab)
    lab.clock.advance(to_rekey_at(cred))
    before = lab.service("intercede").snapshot()
    async with cred.mtls().post(
        cred.url + REKEY, data=data, headers={"Content-Type": content_type}
    ) as r:
        await expect_problem(r, status, kind)
    assert lab.service("intercede").snapshot() == before
