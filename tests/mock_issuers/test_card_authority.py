"""The card authority: cards, key-management escrow, revocation, escrow recovery by mTLS."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.mock_issuers.conftest import Lab
from tests.mock_issuers.testkit import (
    SoftCard,
    b64,
    csr_der,
    csr_signed_by_other_key,
    expect_problem,
    tampered,
    weak_rsa_key,
)
from trust_store import ocsp, validation
from trust_store.ca import CertStatus
from trust_store.keys import KeyAlgorithm, generate_key
from trust_store.oids import FPKI_COMMON_AUTHENTICATION, MS_UPN
from trust_store.pkcs import from_pkcs12


async def test_card_certificates(lab: Lab) -> None:
    card = await lab.issue_card()
    cert = card.auth_cert
    assert card.chain == lab.pki.piv.issuing.chain
    validation.validate_chain(
        cert,
        card.chain[:1],
        card.chain[1:],
        lab.clock.now(),
        policies=[FPKI_COMMON_AUTHENTICATION],
    )
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert uuid.UUID(card.uuid).urn in san.get_values_for_type(x509.UniformResourceIdentifier)
    upn = [o.value for o in san.get_values_for_type(x509.OtherName) if o.type_id == MS_UPN]
    assert upn == [b"\x0c" + bytes([len(card.upn)]) + card.upn.encode()]
    assert ocsp.ocsp_url(cert) == f"{lab.ca_url}/ocsp"
    crl_dp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert crl_dp[0].full_name == [x509.UniformResourceIdentifier(f"{lab.ca_url}/crl")]
    assert cert.public_key() == card.auth_key.public_key()


async def test_each_card_gets_its_own_puk_told_once(lab: Lab) -> None:
    cards = [await lab.issue_card(f"user{i}@agency.example", f"User {i}") for i in range(3)]
    puks = [c.answer["puk"] for c in cards]
    assert all(len(p) == 8 and p.isdigit() and p.isascii() for p in puks)
    assert len(set(puks)) == 3 and "12345678" not in puks
    # The card authority keeps no copy: nothing it holds or serves names the PUK again.
    for card in cards:
        assert card.answer["puk"] not in repr(lab.authority.cards[uuid.UUID(card.uuid)])


async def test_issuing_a_card_is_an_admin_action(lab: Lab) -> None:
    body = SoftCard.new("Mallory", "mallory@agency.example").request()
    before = lab.authority.snapshot()
    for headers in ({}, {"Authorization": "Bearer not-the-admin-token-0123"}):
        async with lab.anonymous().post(
            f"{lab.ca_url}/admin/cards", json=body, headers=headers
        ) as r:
            assert r.headers["WWW-Authenticate"].startswith("Bearer")
            await expect_problem(r, 401, "unauthorized")
    assert lab.authority.snapshot() == before


async def test_key_management_history_is_escrowed_and_backdated(lab: Lab) -> None:
    card = await lab.issue_card(history=2)
    items = card.answer["keyManagement"]
    names = [i["friendlyName"] for i in items]
    assert names == ["Key Management 1 (current)", "Key Management 2", "Key Management 3"]
    assert [i["current"] for i in items] == [True, False, False]
    opened = [from_pkcs12(base64.b64decode(i["pkcs12"]), b"card-p12") for i in items]
    starts = [o.cert.not_valid_before_utc for o in opened]
    assert starts[0] - starts[1] == dt.timedelta(days=180) == starts[1] - starts[2]
    for item in opened:
        assert isinstance(item.key, rsa.RSAPrivateKey) and item.key.key_size == 2048
        assert item.cas == tuple(lab.pki.piv.issuing.chain)
    record = lab.authority.cards[uuid.UUID(card.uuid)]
    assert [k.cert for k in record.key_management] == [o.cert for o in opened]


def _bad_requests() -> list[tuple[str, Any, int, str]]:
    def with_csr(der: bytes | str) -> Any:
        def change(body: dict[str, Any]) -> None:
            body["csrs"]["pivAuthentication"] = der if isinstance(der, str) else b64(der)

        return change

    a, b = generate_key(KeyAlgorithm.EC_P256), generate_key(KeyAlgorithm.EC_P256)
    return [
        ("tampered CSR", with_csr(tampered(csr_der(a))), 400, "csr-invalid"),
        ("CSR signed by another key", with_csr(csr_signed_by_other_key(a, b)), 400, "csr-invalid"),
        ("RSA-1024", with_csr(csr_der(weak_rsa_key())), 400, "csr-invalid"),
        ("not DER", with_csr(b"not a CSR"), 400, "csr-invalid"),
        ("bad base64", with_csr("%%%not base64"), 400, "malformed"),
        ("no user", lambda body: body.pop("user"), 400, "malformed"),
        ("bad upn", lambda body: body["user"].update(upn="alice"), 400, "malformed"),
        ("history 6", lambda body: body.update(keyManagementHistory=6), 400, "malformed"),
        ("no password", lambda body: body.pop("p12Password"), 400, "malformed"),
    ]


@pytest.mark.parametrize(
    ("change", "status", "kind"),
    [pytest.param(c, s, k, id=name) for name, c, s, k in _bad_requests()],
)
async def test_card_request_refused_changes_nothing(
    lab: Lab, change: Any, status: int, kind: str
) -> None:
    body = SoftCard.new("Bob", "bob@agency.example").request()
    change(body)
    before = lab.authority.snapshot()
    async with lab.admin().post(f"{lab.ca_url}/admin/cards", json=body) as r:
        await expect_problem(r, status, kind)
    assert lab.authority.snapshot() == before


async def test_card_request_media_type_and_size(lab: Lab) -> None:
    before = lab.authority.snapshot()
    http = lab.admin()
    async with http.post(
        f"{lab.ca_url}/admin/cards", data=b"{}", headers={"Content-Type": "text/plain"}
    ) as r:
        await expect_problem(r, 415, "unsupported-media-type")
    huge = b'{"x": "' + b"a" * (70 * 1024) + b'"}'
    async with http.post(
        f"{lab.ca_url}/admin/cards", data=huge, headers={"Content-Type": "application/json"}
    ) as r:
        await expect_problem(r, 413, "too-large")
    assert lab.authority.snapshot() == before


async def _ocsp_status(lab: Lab, cert: x509.Certificate) -> CertStatus:
    issuer = lab.pki.piv.issuing.cert
    nonce = b"0123456789abcdef"
    async with lab.anonymous().post(
        f"{lab.ca_url}/ocsp",
        data=ocsp.build_request(cert, issuer, nonce),
        headers={"Content-Type": "application/ocsp-request"},
    ) as r:
        assert r.status == 200 and r.content_type == "application/ocsp-response"
        return ocsp.check_response(await r.read(), cert, issuer, lab.clock.now(), nonce).status


async def test_revoke_card_reaches_ocsp_and_crl(lab: Lab) -> None:
    card = await lab.issue_card(history=1)
    assert await _ocsp_status(lab, card.auth_cert) is CertStatus.GOOD
    http = lab.admin()
    url = f"{lab.ca_url}/admin/cards/{card.uuid}/revoke"
    async with http.post(url, json={"reason": "no-such-reason"}) as r:
        await expect_problem(r, 400, "malformed")
    assert await _ocsp_status(lab, card.auth_cert) is CertStatus.GOOD
    async with http.post(url, json={"reason": "keyCompromise"}) as r:
        assert r.status == 200
        revoked = {int(s, 16) for s in (await r.json())["revoked"]}
    assert card.auth_cert.serial_number in revoked and len(revoked) == 4  # auth, sig, 2 KM
    assert await _ocsp_status(lab, card.auth_cert) is CertStatus.REVOKED
    async with http.get(f"{lab.ca_url}/crl") as r:
        assert r.content_type == "application/pkix-crl"
        crl = x509.load_der_x509_crl(await r.read())
    assert {e.serial_number for e in crl} == revoked
    assert crl.is_signature_valid(lab.pki.piv.issuing.key.public_key())  # type: ignore[arg-type]
    async with http.post(f"{lab.ca_url}/admin/cards/{uuid.uuid4()}/revoke", json={}) as r:
        await expect_problem(r, 404, "not-found")
    async with http.post(url) as r:  # no body: reason "unspecified"; revoking again is harmless
        assert sorted(int(s, 16) for s in (await r.json())["revoked"]) == sorted(revoked)


async def test_openapi_is_served(lab: Lab) -> None:
    async with lab.anonymous().get(f"{lab.ca_url}/openapi.json") as r:
        doc = await r.json()
    assert doc["openapi"] == "3.1.0" and "/escrow/{uuid}/recover" in doc["paths"]


async def test_cacerts(lab: Lab) -> None:
    async with lab.anonymous().get(f"{lab.ca_url}/cacerts") as r:
        assert r.content_type == "application/pem-certificate-chain"
        assert x509.load_pem_x509_certificates(await r.read()) == lab.pki.piv.issuing.chain


async def test_escrow_recovery_needs_a_registered_issuer(lab: Lab) -> None:
    card = await lab.issue_card(history=1)
    url = f"{lab.ca_url}/escrow/{card.uuid}/recover"
    before = lab.authority.snapshot()
    async with lab.anonymous().post(url, json={"password": "pw"}) as r:
        await expect_problem(r, 401, "unauthorized")
    stranger = lab.pki.server_credential("mallory")
    async with lab.client(client_chain=stranger.chain, client_key=stranger.key).post(
        url, json={"password": "pw"}
    ) as r:
        await expect_problem(r, 403, "forbidden")
    entrust = lab.pki.server_credential("entrust")
    http = lab.client(client_chain=entrust.chain, client_key=entrust.key)
    async with http.post(url, json={}) as r:
        await expect_problem(r, 400, "malformed")
    async with http.post(
        f"{lab.ca_url}/escrow/{uuid.uuid4()}/recover", json={"password": "pw"}
    ) as r:
        await expect_problem(r, 404, "not-found")
    assert lab.authority.snapshot() == before
    async with http.post(url, json={"password": "pw"}) as r:
        assert r.status == 200, await r.text()
        items = (await r.json())["items"]
    assert [i["current"] for i in items] == [True, False]
    assert (
        from_pkcs12(base64.b64decode(items[1]["pkcs12"]), b"pw").friendly_name == "Key Management 2"
    )


async def test_escrow_recovery_refuses_expired_client_certificate(lab: Lab) -> None:
    card = await lab.issue_card()
    entrust = lab.pki.server_credential("entrust")
    lab.clock.advance(dt.timedelta(days=900))  # past the TLS certificate's 825 days (lab clock)
    async with lab.client(client_chain=entrust.chain, client_key=entrust.key).post(
        f"{lab.ca_url}/escrow/{card.uuid}/recover", json={"password": "pw"}
    ) as r:
        await expect_problem(r, 403, "forbidden")
