"""EST simpleenroll: the pipeline's refusals change nothing, each kind is issued once, and the
derived PIV Authentication certificate follows SP 800-157."""

from __future__ import annotations

import asyncio
import base64
import uuid
from dataclasses import replace
from typing import Any

import pytest
from cryptography import x509

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
from trust_store.oids import (
    DERIVED_PIV_AUTH,
    EKU_CLIENT_AUTH,
    EKU_PKINIT_CLIENT_AUTH,
    MS_UPN,
    PIV_INTERIM,
)
from trust_store.pkcs import load_certs_only


async def _device(lab: Lab, issuer: str = "entrust") -> tuple[SoftCard, Device]:
    card = await lab.issue_card()
    enrollment = await lab.enroll(card, issuer)
    return card, await lab.activate(enrollment, card.upn)


def _bad_bodies() -> list[Any]:
    a, b = ec_key(), ec_key()
    return [
        pytest.param(b64(tampered(csr_der(a))), None, 400, "csr-invalid", id="tampered"),
        pytest.param(b64(csr_signed_by_other_key(a, b)), None, 400, "csr-invalid", id="other-key"),
        pytest.param(b64(csr_der(weak_rsa_key())), None, 400, "csr-invalid", id="rsa-1024"),
        pytest.param(b64(b"\x30\x03\x02\x01\x00"), None, 400, "csr-invalid", id="not-a-csr"),
        pytest.param("MII*not base64!", None, 400, "malformed", id="bad-base64"),
        pytest.param("", None, 400, "malformed", id="empty"),
        pytest.param(b64(csr_der(a)), "application/json", 415, "unsupported-media-type", id="json"),
        pytest.param("A" * (65 * 1024), None, 413, "too-large", id="oversized"),
    ]


@pytest.mark.parametrize(("body", "content_type", "status", "kind"), _bad_bodies())
async def test_bad_request_changes_nothing(
    lab: Lab, body: str, content_type: str | None, status: int, kind: str
) -> None:
    _, device = await _device(lab)
    before = lab.service().snapshot()
    async with device.simpleenroll("pivauth", body, content_type or "application/pkcs10") as r:
        await expect_problem(r, status, kind)
    assert lab.service().snapshot() == before
    await device.enroll_cert("pivauth", ec_key())  # the enrollment is still usable


async def test_each_kind_is_issued_once(lab: Lab) -> None:
    _, device = await _device(lab)
    await device.enroll_cert("pivauth", ec_key())
    before = lab.service().snapshot()
    async with device.simpleenroll("pivauth", b64(csr_der(ec_key()))) as r:
        await expect_problem(r, 409, "already-issued")
    assert lab.service().snapshot() == before
    await device.enroll_cert("signature", ec_key())


async def test_simpleenroll_needs_the_access_token(lab: Lab) -> None:
    _, device = await _device(lab)
    before = lab.service().snapshot()
    async with device.http.post(
        f"{lab.url('entrust')}/.well-known/est/pivauth/simpleenroll",
        data=b64(csr_der(ec_key())),
        headers={"Content-Type": "application/pkcs10", "Authorization": "Bearer wrong"},
    ) as r:
        await expect_problem(r, 401, "unauthorized")
    assert lab.service().snapshot() == before


async def test_card_revoked_after_activation_stops_issuance(lab: Lab) -> None:
    card, device = await _device(lab)
    await lab.revoke_card(card)
    before = lab.service().snapshot()
    async with device.simpleenroll("pivauth", b64(csr_der(ec_key()))) as r:
        await expect_problem(r, 403, "card-revoked")
    assert lab.service().snapshot() == before


async def test_derived_piv_auth_profile(lab: Lab) -> None:
    card, device = await _device(lab)
    key = ec_key()
    async with device.simpleenroll("pivauth", b64(csr_der(key, cn="Mallory"))) as r:
        leaf, cas = split_certs_only(base64.b64decode(await r.read()))
    issuing = lab.pki.derived["entrust"].issuing
    assert cas == [issuing.cert]
    leaf.verify_directly_issued_by(issuing.cert)
    assert leaf.subject == card.auth_cert.subject  # from the card, not the CSR's "Mallory"
    ext = leaf.extensions
    policies = ext.get_extension_for_class(x509.CertificatePolicies).value
    assert [p.policy_identifier for p in policies] == [DERIVED_PIV_AUTH]
    assert DERIVED_PIV_AUTH.dotted_string == "2.16.840.1.101.3.2.1.3.40"
    ku = ext.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.digital_signature
    assert not ku.value.key_encipherment and not ku.value.content_commitment
    eku = ext.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(eku) == {EKU_CLIENT_AUTH, EKU_PKINIT_CLIENT_AUTH}
    assert EKU_PKINIT_CLIENT_AUTH.dotted_string == "1.3.6.1.5.2.3.4"
    san = ext.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == [uuid.UUID(card.uuid).urn]
    assert [o.type_id for o in san.get_values_for_type(x509.OtherName)] == [MS_UPN]
    assert ext.get_extension_for_oid(PIV_INTERIM).value.value == b"\x01\x01\x00"  # type: ignore[attr-defined]
    base = lab.url("entrust")
    assert ocsp.ocsp_url(leaf) == f"{base}/ocsp"
    crl_dp = ext.get_extension_for_class(x509.CRLDistributionPoints).value
    assert crl_dp[0].full_name == [x509.UniformResourceIdentifier(f"{base}/crl")]
    lifetime = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    assert lifetime.days == 365


async def _issuer_ocsp(lab: Lab, leaf: x509.Certificate) -> CertStatus:
    issuing = lab.pki.derived["entrust"].issuing.cert
    nonce = b"nonce-1234567890"
    async with lab.anonymous().post(
        f"{lab.url('entrust')}/ocsp",
        data=ocsp.build_request(leaf, issuing, nonce),
        headers={"Content-Type": "application/ocsp-request"},
    ) as r:
        assert r.status == 200, await r.text()
        return ocsp.check_response(await r.read(), leaf, issuing, lab.clock.now(), nonce).status


async def test_issuer_ocsp_good_then_revoked(lab: Lab) -> None:
    _, device = await _device(lab)
    leaf = await device.enroll_cert("pivauth", ec_key())
    sig = await device.enroll_cert("signature", ec_key())
    assert await _issuer_ocsp(lab, leaf) is CertStatus.GOOD
    enrollment_id = device.activation["enrollment"]
    async with lab.admin().post(
        f"{lab.url('entrust')}/admin/enrollments/{enrollment_id}/revoke",
        json={"reason": "cessationOfOperation"},
    ) as r:
        assert r.status == 200
        assert {int(s, 16) for s in (await r.json())["revoked"]} == {
            leaf.serial_number,
            sig.serial_number,
        }
    assert await _issuer_ocsp(lab, leaf) is CertStatus.REVOKED
    async with lab.anonymous().get(f"{lab.url('entrust')}/crl") as r:
        crl = x509.load_der_x509_crl(await r.read())
    assert crl.get_revoked_certificate_by_serial_number(leaf.serial_number) is not None


async def test_terminating_a_card_revokes_its_derived_credentials(lab: Lab) -> None:
    card, device = await _device(lab)
    leaf = await device.enroll_cert("pivauth", ec_key())
    async with lab.admin().post(
        f"{lab.url('entrust')}/admin/cards/{card.uuid}/revoke", json={}
    ) as r:
        assert [int(s, 16) for s in (await r.json())["revoked"]] == [leaf.serial_number]
    assert await _issuer_ocsp(lab, leaf) is CertStatus.REVOKED


async def test_est_cacerts(lab: Lab) -> None:
    async with lab.anonymous().get(f"{lab.url('entrust')}/.well-known/est/cacerts") as r:
        assert r.status == 200
        assert r.content_type == "application/pkcs7-mime"
        certs = load_certs_only(base64.b64decode(await r.read()))
    assert set(certs) == set(lab.pki.derived["entrust"].issuing.chain)


async def test_key_history_only_for_own_enrollment(lab: Lab) -> None:
    _, device = await _device(lab)
    url = "/device/v1/enrollments/someone-else/key-history"
    async with device.post(url, json={"password": "x"}, headers=device.bearer) as r:
        await expect_problem(r, 404, "not-found")
    own = f"/device/v1/enrollments/{device.activation['enrollment']}/key-history"
    async with device.post(own, json={}, headers=device.bearer) as r:
        await expect_problem(r, 400, "malformed")
    async with device.post(own, json={"password": "x"}) as r:
        await expect_problem(r, 401, "unauthorized")


async def test_key_history_when_card_authority_is_down(lab: Lab) -> None:
    _, device = await _device(lab)
    await lab.runners.pop(0).cleanup()
    own = f"/device/v1/enrollments/{device.activation['enrollment']}/key-history"
    async with device.post(own, json={"password": "x"}, headers=device.bearer) as r:
        await expect_problem(r, 503, "unavailable")


async def test_key_history_refused_when_issuer_not_registered(lab: Lab) -> None:
    authority = lab.authority
    authority.settings = replace(authority.settings, escrow_clients=frozenset({"intercede"}))
    _, device = await _device(lab)
    own = f"/device/v1/enrollments/{device.activation['enrollment']}/key-history"
    async with device.post(own, json={"password": "x"}, headers=device.bearer) as r:
        doc = await expect_problem(r, 503, "unavailable")
    assert "403" in doc["detail"]


async def test_concurrent_simpleenrolls_issue_once(lab: Lab) -> None:
    _, device = await _device(lab)

    async def attempt() -> int:
        async with device.simpleenroll("pivauth", b64(csr_der(ec_key()))) as r:
            await r.read()
            return r.status

    assert sorted(await asyncio.gather(attempt(), attempt())) == [200, 409]
    assert len(lab.service().hierarchy.issuing.issued) == 2  # OCSP responder + one leaf
