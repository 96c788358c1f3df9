"""DISA Purebred end to end over HTTPS: the agent signs in with their own card, identifies and
confirms the applicant, hands out the pre-enroll code, confirms the device's fingerprint, hands
out the enroll code; the device sends its CSRs; the user's own codes release the escrowed
key-management keys (current, then earlier ones)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator

import pytest
from cryptography import x509

from tests.mock_issuers.test_purebred_kit import AGENT_UPN, DEVICE, PurebredLab, leaf_of
from trust_store import oids
from trust_store.clock import ManualClock
from trust_store.keys import KeyAlgorithm, generate_key
from trust_store.labpki import LabPKI
from trust_store.pkcs import from_pkcs12
from trust_store.randomness import Randomness


@pytest.fixture
async def pb(pki: LabPKI, clock: ManualClock, rand: Randomness) -> AsyncIterator[PurebredLab]:
    async with PurebredLab.start(pki, clock, rand) as lab:
        yield lab


async def test_listeners_are_apart(pb: PurebredLab) -> None:
    assert pb.servers.device_url.startswith("https://127.0.0.2:")
    assert pb.servers.console_url.startswith("https://127.0.0.1:")
    # The device API is not served on the enterprise listener, nor the console on-premises.
    assert (await pb.call("POST", pb.console("/device/v1/pre-enroll"), json={})).status == 404
    assert (await pb.call("POST", pb.device("/console/session"))).status == 404
    assert (await pb.call("POST", pb.device("/portal/otps"), json={})).status == 404


async def test_supervised_enrollment_then_user_key_steps(pb: PurebredLab) -> None:
    agent = await pb.issue_card(AGENT_UPN, "Agent Smith")
    user = await pb.issue_card(history=2)
    token = await pb.agent_sign_in(agent)

    applicant = await pb.identify(token, user, confirm=False)
    assert applicant == user.uuid
    doc = await pb.ok("GET", pb.console(f"/console/applicants/{applicant}"), token=token)
    assert doc["status"] == "identified" and doc["user"]["upn"] == user.upn
    await pb.ok("POST", pb.console(f"/console/applicants/{applicant}/confirm"), token=token)

    otp1 = await pb.agent_otp(token, applicant, "pre-enroll")
    assert re.fullmatch(r"[0-9]{8}", otp1)
    sent = pb.pre_enroll_body(otp1, user.upn)
    pre = await pb.pre_enroll(otp1, user.upn)
    assert pre.status == 201, pre.body
    pre_doc = pre.json()
    # The hash is over the request exactly as the device sent it: the device can show the same.
    assert pre_doc["hash"] == hashlib.sha256(sent).hexdigest()
    assert re.fullmatch(r"([0-9A-F]{4}-){3}[0-9A-F]{4}", pre_doc["fingerprint"])
    assert pre_doc["fingerprint"].replace("-", "") == pre_doc["hash"][:16].upper()
    console = await pb.ok("GET", pb.console(f"/console/applicants/{applicant}"), token=token)
    [shown] = console["preEnrollments"]
    assert shown["fingerprint"] == pre_doc["fingerprint"]
    assert shown["status"] == "awaiting-confirmation" and shown["device"] == DEVICE

    typed = pre_doc["fingerprint"].lower().replace("-", " ")  # the agent types what they read
    confirmed = await pb.confirm_fingerprint(token, pre_doc["preEnrollment"], typed)
    assert confirmed.status == 200 and confirmed.json()["status"] == "confirmed"

    otp2 = await pb.agent_otp(token, applicant, "enroll")
    activation = (await pb.enroll(otp2, pre_doc["preEnrollment"])).json()
    assert activation["requests"] == ["pivAuthentication", "digitalSignature", "keyManagement"]

    auth_key = generate_key(KeyAlgorithm.EC_P256)
    sig_key = generate_key(KeyAlgorithm.EC_P256)
    auth = leaf_of(await pb.simpleenroll(activation["accessToken"], "pivauth", auth_key))
    sig = leaf_of(await pb.simpleenroll(activation["accessToken"], "signature", sig_key))
    assert auth.public_key() == auth_key.public_key() and sig.public_key() == sig_key.public_key()
    auth.verify_directly_issued_by(pb.pki.derived["purebred"].issuing.cert)
    policies = auth.extensions.get_extension_for_class(x509.CertificatePolicies).value
    assert [p.policy_identifier for p in policies] == [oids.DERIVED_PIV_AUTH]
    ekus = auth.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert oids.EKU_SMARTCARD_LOGON in ekus and oids.EKU_CLIENT_AUTH in ekus
    san = auth.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert user.auth_cert_uuid().urn in san.get_values_for_type(x509.UniformResourceIdentifier)
    # The certificates point at the enterprise listener for OCSP and CRL.
    aia = auth.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert aia[0].access_location.value == pb.console("/ocsp")

    card_km = [
        from_pkcs12(base64.b64decode(i["pkcs12"]), b"card-p12").cert
        for i in user.answer["keyManagement"]
    ]
    km = await pb.user_key_step(
        activation, "key-management", await pb.user_otp(user, "key-management")
    )
    assert km.status == 200, km.body
    [current] = km.json()["items"]
    assert current["current"] is True
    assert from_pkcs12(base64.b64decode(current["pkcs12"]), b"device-p12").cert == card_km[0]

    rec = await pb.user_key_step(activation, "recover", await pb.user_otp(user, "recover"))
    assert rec.status == 200, rec.body
    older = rec.json()["items"]
    assert [i["current"] for i in older] == [False, False]
    certs = [from_pkcs12(base64.b64decode(i["pkcs12"]), b"device-p12").cert for i in older]
    assert certs == card_km[1:]

    final = await pb.ok("GET", pb.console(f"/console/applicants/{applicant}"), token=token)
    assert final["preEnrollments"][0]["status"] == "enrolled"
    assert [e["status"] for e in final["enrollments"]] == ["issued"]
