from __future__ import annotations

import base64
import plistlib
import uuid

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from agent.errors import ProfileError
from agent.payloads import ProfileContext, renderer_for
from tests import apple_schema
from trust_store import certprofiles as cp
from trust_store.keys import KeyAlgorithm, generate_key
from trust_store.stores import CredentialRole, Identity
from trust_store.stores.ios_keychain import COMPANY_PORTAL, SHARED_GROUP, IOSKeychain

ROOT_TYPE = "#microsoft.graph.iosTrustedRootCertificate"
WIFI_TYPE = "#microsoft.graph.iosEnterpriseWiFiConfiguration"


@pytest.fixture
def ctx(pki) -> ProfileContext:  # type: ignore[no-untyped-def]
    store = IOSKeychain()
    h = pki.derived["entrust"]
    key = generate_key(KeyAlgorithm.EC_P256)
    cert = h.issuing.issue(
        key.public_key(), cp.Subject("Alice", card_uuid=uuid.uuid4()), cp.DERIVED_PIV_AUTH
    )
    store.add_identity(
        Identity("REF-1", CredentialRole.PIV_AUTH, key, cert, (h.issuing.cert,), "dc", SHARED_GROUP)
    )
    return ProfileContext("ios", store, COMPANY_PORTAL)


def root_policy(pki) -> dict:  # type: ignore[no-untyped-def, type-arg]
    der = pki.tls_root.cert.public_bytes(Encoding.DER)
    return {
        "id": "root-1",
        "@odata.type": ROOT_TYPE,
        "displayName": "RADIUS root",
        "trustedRootCertificate": base64.b64encode(der).decode(),
    }


def wifi_policy(eap: str = "eapTls") -> dict:  # type: ignore[type-arg]
    return {
        "id": "wifi-1",
        "@odata.type": WIFI_TYPE,
        "displayName": "Corp",
        "ssid": "CORP",
        "eapType": eap,
        "authenticationMethod": "derivedCredential",
        "trustedServerCertificateNames": ["radius.corp.example"],
        "rootCertificatesForServerValidation": ["root-1"],
    }


def test_root_then_wifi_make_schema_valid_profiles(ctx, pki) -> None:  # type: ignore[no-untyped-def]
    root = renderer_for("ios", ROOT_TYPE).apply(root_policy(pki), ctx)
    assert pki.tls_root.cert in ctx.store.trusted_roots()
    wifi = renderer_for("ios", WIFI_TYPE).apply(wifi_policy(), ctx)
    wifi_doc = plistlib.loads(wifi.content)
    payload = wifi_doc["PayloadContent"][0]
    assert payload["PayloadType"] == "com.apple.wifi.managed"
    assert payload["PayloadCertificateUUID"] == "REF-1"
    eap = payload["EAPClientConfiguration"]
    assert eap["AcceptEAPTypes"] == [13]
    root_doc = plistlib.loads(root.content)
    assert eap["PayloadCertificateAnchorUUID"] == [root_doc["PayloadContent"][0]["PayloadUUID"]]
    if not apple_schema.available():
        pytest.skip("Apple schemas (../shared/reference/apple-profiles) not beside the checkout")
    assert apple_schema.validate_profile(wifi_doc) == []
    assert apple_schema.validate_profile(root_doc) == []


@pytest.mark.parametrize("eap,number", [("eapTls", 13), ("eapTtls", 21), ("peap", 25)])
def test_derived_credential_eap_types(ctx, pki, eap, number) -> None:  # type: ignore[no-untyped-def]
    renderer_for("ios", ROOT_TYPE).apply(root_policy(pki), ctx)
    art = renderer_for("ios", WIFI_TYPE).apply(wifi_policy(eap), ctx)
    assert plistlib.loads(art.content)["PayloadContent"][0]["EAPClientConfiguration"][
        "AcceptEAPTypes"
    ] == [number]


@pytest.mark.parametrize("eap", ["leap", "eapSim", "eapFast"])
def test_other_eap_types_refused_with_derived_credential(ctx, pki, eap) -> None:  # type: ignore[no-untyped-def]
    renderer_for("ios", ROOT_TYPE).apply(root_policy(pki), ctx)
    with pytest.raises(ProfileError, match="EAP-TLS, EAP-TTLS or PEAP"):
        renderer_for("ios", WIFI_TYPE).apply(wifi_policy(eap), ctx)


def test_wifi_needs_its_root_profile(ctx) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProfileError, match="not installed"):
        renderer_for("ios", WIFI_TYPE).apply(wifi_policy(), ctx)


def test_wifi_needs_the_credential(pki) -> None:  # type: ignore[no-untyped-def]
    ctx = ProfileContext("ios", IOSKeychain(), COMPANY_PORTAL)
    renderer_for("ios", ROOT_TYPE).apply(root_policy(pki), ctx)
    with pytest.raises(ProfileError, match="no pivAuthentication credential"):
        renderer_for("ios", WIFI_TYPE).apply(wifi_policy(), ctx)
