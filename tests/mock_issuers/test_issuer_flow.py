"""End to end: card issued -> portal sign-in with the card -> QR -> activation -> EST
simpleenroll of both certificates -> key history."""

from __future__ import annotations

import base64

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from tests.mock_issuers.conftest import Lab
from tests.mock_issuers.testkit import b64, csr_der, device_body, expect_problem, split_certs_only
from trust_store.keys import KeyAlgorithm, generate_key
from trust_store.pkcs import from_pkcs12


async def test_entrust_happy_path(lab: Lab) -> None:
    card = await lab.issue_card(history=1)
    enrollment = await lab.enroll(card)
    assert enrollment.password is not None and len(enrollment.password) == 8
    assert enrollment.password.isdigit()
    assert len(enrollment.token) == 22
    base = lab.url("entrust")
    device = lab.anonymous()
    body = device_body(enrollment.token, card.upn, enrollment.password)
    async with device.post(f"{base}/device/v1/activations", json=body) as r:
        assert r.status == 201, await r.text()
        activation = await r.json()
    assert activation["requests"] == ["pivAuthentication", "digitalSignature", "keyManagement"]
    bearer = {"Authorization": f"Bearer {activation['accessToken']}"}

    certs = {}
    for label in ("pivauth", "signature"):
        key = generate_key(KeyAlgorithm.EC_P256)
        async with device.post(
            f"{base}/.well-known/est/{label}/simpleenroll",
            data=b64(csr_der(key)),
            headers={**bearer, "Content-Type": "application/pkcs10"},
        ) as r:
            assert r.status == 200, await r.text()
            assert r.headers["Content-Type"] == "application/pkcs7-mime; smime-type=certs-only"
            leaf, cas = split_certs_only(base64.b64decode(await r.read()))
        assert cas == [lab.pki.derived["entrust"].issuing.cert]
        assert leaf.public_key() == key.public_key()
        certs[label] = leaf

    async with enrollment.browser.get(
        f"{base}/portal/enrollments/{enrollment.doc['id']}", headers=enrollment.portal_auth
    ) as r:
        assert (await r.json())["status"] == "issued"

    async with device.post(
        f"{base}/device/v1/enrollments/{activation['enrollment']}/key-history",
        json={"password": "device-chosen"},
        headers=bearer,
    ) as r:
        assert r.status == 200, await r.text()
        items = (await r.json())["items"]
    assert [i["friendlyName"] for i in items] == ["Key Management 1 (current)", "Key Management 2"]
    assert [i["current"] for i in items] == [True, False]
    opened = [from_pkcs12(base64.b64decode(i["pkcs12"]), b"device-chosen") for i in items]
    assert opened[0].cert.not_valid_before_utc > opened[1].cert.not_valid_before_utc
    assert opened[0].friendly_name == "Key Management 1 (current)"
    card_km = from_pkcs12(base64.b64decode(card.answer["keyManagement"][0]["pkcs12"]), b"card-p12")
    assert card_km.cert == opened[0].cert

    san = certs["signature"].extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert card.upn in san.get_values_for_type(x509.RFC822Name)


async def test_intercede_needs_no_password(lab: Lab) -> None:
    card = await lab.issue_card()
    enrollment = await lab.enroll(card, "intercede")
    assert enrollment.password is None
    async with lab.anonymous().post(
        f"{lab.url('intercede')}/device/v1/activations",
        json=device_body(enrollment.token, card.upn),
    ) as r:
        assert r.status == 201, await r.text()
        bearer = {"Authorization": f"Bearer {(await r.json())['accessToken']}"}
        key = generate_key(KeyAlgorithm.EC_P256)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
    async with lab.anonymous().post(
        f"{lab.url('intercede')}/.well-known/est/pivauth/simpleenroll",
        data=b64(csr_der(key)),
        headers={**bearer, "Content-Type": "application/pkcs10"},
    ) as r:
        assert r.status == 200, await r.text()
        leaf, _ = split_certs_only(base64.b64decode(await r.read()))
    leaf.verify_directly_issued_by(lab.pki.derived["intercede"].issuing.cert)


async def test_entrust_token_is_unknown_to_intercede(lab: Lab) -> None:
    card = await lab.issue_card()
    enrollment = await lab.enroll(card)
    async with lab.anonymous().post(
        f"{lab.url('intercede')}/device/v1/activations",
        json=device_body(enrollment.token, card.upn, enrollment.password),
    ) as r:
        await expect_problem(r, 404, "token-invalid")
