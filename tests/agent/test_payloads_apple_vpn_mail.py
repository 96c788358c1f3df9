"""iOS VPN (IKEv2), Exchange mail with S/MIME and derived-credential app authentication: every
artifact parsed back with plistlib (and Apple's published payload schemas) or json, and every
identity reference checked against the identity it must name."""

from __future__ import annotations

import base64
import datetime as dt
import json
import plistlib
import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from agent.errors import ProfileError
from agent.payloads import ProfileContext, renderer_for
from tests import apple_schema
from trust_store import certprofiles as cp
from trust_store.clock import ManualClock
from trust_store.keys import KeyAlgorithm, generate_key
from trust_store.labpki import LabPKI
from trust_store.stores import CredentialRole, Identity
from trust_store.stores.ios_keychain import COMPANY_PORTAL, SHARED_GROUP, IOSKeychain

ROOT = "#microsoft.graph.iosTrustedRootCertificate"
VPN = "#microsoft.graph.iosVpnConfiguration"
MAIL = "#microsoft.graph.iosEasEmailProfileConfiguration"
APP_AUTH = "#microsoft.graph.iosDerivedCredentialAuthenticationConfiguration"
UPN = "alice@corp.example"
MAIL_ADDRESS = "alice.smith@corp.example"


def _identity(
    pki: LabPKI,
    ref: str,
    role: CredentialRole,
    profile: cp.CertProfile,
    *,
    current: bool = True,
    alg: KeyAlgorithm = KeyAlgorithm.EC_P256,
) -> Identity:
    h = pki.derived["entrust"]
    key = generate_key(alg)
    subject = cp.Subject("Alice Smith", card_uuid=uuid.uuid4(), upn=UPN, email=MAIL_ADDRESS)
    cert = h.issuing.issue(key.public_key(), subject, profile)
    return Identity(ref, role, key, cert, (h.issuing.cert,), "dc", SHARED_GROUP, current)


@pytest.fixture
def store(pki: LabPKI, clock: ManualClock) -> IOSKeychain:
    """PIV Authentication, signature, the current key-management key and an escrowed older one
    that was (re)issued *later*, so only the `current` flag tells them apart."""
    s = IOSKeychain()
    s.add_identity(_identity(pki, "PIV-REF", CredentialRole.PIV_AUTH, cp.DERIVED_PIV_AUTH))
    s.add_identity(_identity(pki, "SIG-REF", CredentialRole.SIGNATURE, cp.DERIVED_SIGNATURE))
    s.add_identity(
        _identity(
            pki,
            "KM-CURRENT",
            CredentialRole.KEY_MANAGEMENT,
            cp.PIV_CARD_KEY_MANAGEMENT,
            alg=KeyAlgorithm.RSA_2048,
        )
    )
    clock.advance(dt.timedelta(days=3))
    s.add_identity(
        _identity(
            pki,
            "KM-OLD",
            CredentialRole.KEY_MANAGEMENT,
            cp.PIV_CARD_KEY_MANAGEMENT,
            current=False,
            alg=KeyAlgorithm.RSA_2048,
        )
    )
    return s


@pytest.fixture
def ctx(store: IOSKeychain) -> ProfileContext:
    return ProfileContext("ios", store, COMPANY_PORTAL)


def _root(pki: LabPKI, ctx: ProfileContext) -> None:
    der = pki.tls_root.cert.public_bytes(Encoding.DER)
    policy = {
        "id": "root-1",
        "@odata.type": ROOT,
        "trustedRootCertificate": base64.b64encode(der).decode(),
    }
    renderer_for("ios", ROOT).apply(policy, ctx)


def vpn_policy(**over: Any) -> dict[str, Any]:
    return {
        "id": "vpn-1",
        "@odata.type": VPN,
        "displayName": "VPN DC",
        "connectionName": "Corp VPN",
        "connectionType": "ikEv2",
        "authenticationMethod": "derivedCredential",
        "server": {
            "address": "vpn.corp.example",
            "description": "primary",
            "isDefaultServer": True,
        },
        **over,
    }


def mail_policy(**over: Any) -> dict[str, Any]:
    return {
        "id": "mail-1",
        "@odata.type": MAIL,
        "displayName": "Mail DC",
        "hostName": "mail.corp.example",
        "accountName": "Corp",
        "emailAddressSource": "userPrincipalName",
        "authenticationMethod": "derivedCredential",
        "requireSsl": True,
        "smimeSigningEnabled": True,
        "smimeEncryptByDefaultEnabled": True,
        "signingCertificateType": "derivedCredential",
        "encryptionCertificateType": "derivedCredential",
        "smimeEncryptionCertificateUserOverrideEnabled": False,
        "durationOfEmailToSync": "oneWeek",
        "easServices": "email,calendars",
        **over,
    }


def payload_of(content: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    doc = plistlib.loads(content)
    assert doc["PayloadType"] == "Configuration"
    assert len(doc["PayloadContent"]) == 1
    return doc, doc["PayloadContent"][0]


def schema_valid(doc: dict[str, Any]) -> None:
    if not apple_schema.available():
        pytest.skip("Apple schemas (../shared/reference/apple-profiles) not beside the checkout")
    assert apple_schema.validate_profile(doc) == []


# --- VPN -----------------------------------------------------------------------------------------


def test_ikev2_vpn_names_the_derived_credential(ctx: ProfileContext, pki: LabPKI) -> None:
    _root(pki, ctx)
    art = renderer_for("ios", VPN).apply(vpn_policy(), ctx)
    assert art.media_type == "application/x-apple-aspen-config"
    doc, payload = payload_of(art.content)
    assert payload["PayloadType"] == "com.apple.vpn.managed"
    assert payload["VPNType"] == "IKEv2"
    assert payload["UserDefinedName"] == "Corp VPN"
    ike = payload["IKEv2"]
    assert ike["AuthenticationMethod"] == "Certificate"
    assert ike["PayloadCertificateUUID"] == "PIV-REF"
    assert ike["RemoteAddress"] == ike["RemoteIdentifier"] == "vpn.corp.example"
    assert ike["LocalIdentifier"] == UPN
    assert ike["CertificateType"] == "ECDSA256"
    assert ike["ServerCertificateIssuerCommonName"] == "dcemu Lab TLS Root CA"
    assert payload["IPv4"] == {"OverridePrimary": 1}
    assert "PIV-REF" in art.summary
    schema_valid(doc)


def test_vpn_issuer_common_name_from_the_policy(ctx: ProfileContext) -> None:
    art = renderer_for("ios", VPN).apply(
        vpn_policy(serverCertificateIssuerCommonName="Corp VPN CA", enableSplitTunneling=True),
        ctx,
    )
    _, payload = payload_of(art.content)
    assert payload["IKEv2"]["ServerCertificateIssuerCommonName"] == "Corp VPN CA"
    assert payload["IPv4"] == {"OverridePrimary": 0}


def test_vpn_without_server_issuer_is_refused(ctx: ProfileContext) -> None:
    with pytest.raises(ProfileError, match="issuer common name"):
        renderer_for("ios", VPN).apply(vpn_policy(), ctx)


def test_vpn_with_password_needs_no_credential(pki: LabPKI) -> None:
    ctx = ProfileContext("ios", IOSKeychain(), COMPANY_PORTAL)
    renderer = renderer_for("ios", VPN)
    policy = vpn_policy(authenticationMethod="usernameAndPassword")
    assert not renderer.uses_derived_credential(policy)
    doc, payload = payload_of(renderer.apply(policy, ctx).content)
    assert payload["IKEv2"]["AuthenticationMethod"] == "None"
    assert payload["IKEv2"]["ExtendedAuthEnabled"] == 1
    assert "PayloadCertificateUUID" not in payload["IKEv2"]
    schema_valid(doc)


@pytest.mark.parametrize(
    ("over", "match"),
    [
        ({"connectionType": "ciscoAnyConnect"}, "vendor's VPN app"),
        ({"authenticationMethod": "certificate"}, "not emulated"),
        ({"authenticationMethod": "sharedSecret"}, "not emulated"),
        ({"server": {"description": "no address"}}, "server.address"),
    ],
)
def test_vpn_refusals(ctx: ProfileContext, over: dict[str, Any], match: str) -> None:
    with pytest.raises(ProfileError, match=match):
        renderer_for("ios", VPN).apply(vpn_policy(**over), ctx)


def test_vpn_needs_the_credential(pki: LabPKI) -> None:
    ctx = ProfileContext("ios", IOSKeychain(), COMPANY_PORTAL)
    _root(pki, ctx)
    with pytest.raises(ProfileError, match="no pivAuthentication credential"):
        renderer_for("ios", VPN).apply(vpn_policy(), ctx)


# --- Exchange with S/MIME ------------------------------------------------------------------------


def test_mail_names_auth_signature_and_current_key_management_identities(
    ctx: ProfileContext, store: IOSKeychain
) -> None:
    old = next(i for i in store.all_identities() if i.ref == "KM-OLD")
    cur = next(i for i in store.all_identities() if i.ref == "KM-CURRENT")
    assert old.cert.not_valid_before_utc > cur.cert.not_valid_before_utc  # newest is not current
    art = renderer_for("ios", MAIL).apply(mail_policy(), ctx)
    doc, p = payload_of(art.content)
    assert p["PayloadType"] == "com.apple.eas.account"
    assert p["Host"] == "mail.corp.example" and p["SSL"] is True
    assert p["PayloadCertificateUUID"] == "PIV-REF"
    assert p["SMIMESigningEnabled"] is True
    assert p["SMIMESigningCertificateUUID"] == "SIG-REF"
    assert p["SMIMEEncryptionEnabled"] is True
    assert p["SMIMEEncryptionCertificateUUID"] == "KM-CURRENT"
    assert p["SMIMEEncryptByDefault"] is True
    assert p["SMIMEEncryptionCertificateUUIDUserOverrideable"] is False
    assert p["EmailAddress"] == UPN and p["UserName"] == UPN
    assert p["MailNumberOfPastDaysToSync"] == 7
    assert (p["EnableMail"], p["EnableCalendars"], p["EnableContacts"]) == (True, True, False)
    schema_valid(doc)


def test_mail_primary_smtp_address(ctx: ProfileContext) -> None:
    art = renderer_for("ios", MAIL).apply(mail_policy(emailAddressSource="primarySmtpAddress"), ctx)
    assert payload_of(art.content)[1]["EmailAddress"] == MAIL_ADDRESS


def test_mail_encryption_only(ctx: ProfileContext) -> None:
    policy = mail_policy(
        authenticationMethod="usernameAndPassword",
        signingCertificateType="none",
        smimeSigningEnabled=False,
    )
    renderer = renderer_for("ios", MAIL)
    assert renderer.uses_derived_credential(policy)
    doc, p = payload_of(renderer.apply(policy, ctx).content)
    assert "PayloadCertificateUUID" not in p and "SMIMESigningCertificateUUID" not in p
    assert p["SMIMESigningEnabled"] is False
    assert p["SMIMEEncryptionCertificateUUID"] == "KM-CURRENT"
    schema_valid(doc)


def test_mail_without_derived_credential(pki: LabPKI) -> None:
    ctx = ProfileContext("ios", IOSKeychain(), COMPANY_PORTAL)
    policy = mail_policy(
        authenticationMethod="usernameAndPassword",
        signingCertificateType="none",
        encryptionCertificateType="none",
        smimeSigningEnabled=False,
    )
    renderer = renderer_for("ios", MAIL)
    assert not renderer.uses_derived_credential(policy)
    doc, p = payload_of(renderer.apply(policy, ctx).content)
    assert not any(k.endswith("CertificateUUID") for k in p)
    assert "EmailAddress" not in p  # the device asks the user
    schema_valid(doc)


def test_mail_needs_a_key_management_credential(pki: LabPKI) -> None:
    store = IOSKeychain()
    store.add_identity(_identity(pki, "PIV-REF", CredentialRole.PIV_AUTH, cp.DERIVED_PIV_AUTH))
    store.add_identity(_identity(pki, "SIG-REF", CredentialRole.SIGNATURE, cp.DERIVED_SIGNATURE))
    ctx = ProfileContext("ios", store, COMPANY_PORTAL)
    with pytest.raises(ProfileError, match="no keyManagement credential"):
        renderer_for("ios", MAIL).apply(mail_policy(), ctx)


def test_mail_certificate_profiles_are_not_emulated(ctx: ProfileContext) -> None:
    with pytest.raises(ProfileError, match="signingCertificateType 'certificate'"):
        renderer_for("ios", MAIL).apply(mail_policy(signingCertificateType="certificate"), ctx)


# --- app authentication --------------------------------------------------------------------------


def test_app_authentication_is_a_json_record(ctx: ProfileContext) -> None:
    renderer = renderer_for("ios", APP_AUTH)
    policy = {"id": "auth-1", "@odata.type": APP_AUTH, "displayName": "DC auth"}
    assert renderer.uses_derived_credential(policy)
    art = renderer.apply(policy, ctx)
    assert art.media_type == "application/json"
    doc = json.loads(art.content)
    assert doc["identityRef"] == "PIV-REF"
    assert doc["accessGroup"] == SHARED_GROUP
    assert doc["sharedBy"] == COMPANY_PORTAL
    assert "no configuration-profile payload" in doc["note"]
    assert "no Apple payload" in art.summary


def test_app_authentication_needs_the_credential() -> None:
    ctx = ProfileContext("ios", IOSKeychain(), COMPANY_PORTAL)
    with pytest.raises(ProfileError, match="no pivAuthentication credential"):
        renderer_for("ios", APP_AUTH).apply({"id": "auth-1", "@odata.type": APP_AUTH}, ctx)
