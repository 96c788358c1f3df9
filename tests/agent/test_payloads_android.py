"""Android Enterprise renderers: CA certificate, Wi-Fi as an Android Management API
`openNetworkConfiguration`, derived-credential app authentication with its certificate access
applied to the KeyChain. Every artifact is parsed back with json."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from agent.errors import ProfileError, UnsupportedError
from agent.payloads import ProfileContext, renderer_for
from agent.payloads.android import AndroidRenderer
from agent.platforms import PLATFORMS as REGISTRY
from agent.platforms import Family, platform
from trust_store import certprofiles as cp
from trust_store.clock import ManualClock
from trust_store.errors import AccessDeniedError
from trust_store.keys import KeyAlgorithm, generate_key
from trust_store.labpki import LabPKI
from trust_store.stores import CertificateStore, CredentialRole, Identity
from trust_store.stores.android_keychain import (
    INTUNE_APP,
    WORK,
    AndroidKeyChain,
    CertificateAccess,
)

ROOT = "#microsoft.graph.androidDeviceOwnerTrustedRootCertificate"
WIFI = "#microsoft.graph.androidDeviceOwnerEnterpriseWiFiConfiguration"
APP_AUTH = "#microsoft.graph.androidDeviceOwnerDerivedCredentialAuthenticationConfiguration"
#: The agent platforms of the Android family (both Android Enterprise modes).
PLATFORMS = tuple(n for n, cls in REGISTRY.items() if cls.family is Family.ANDROID)
OUTLOOK = "com.microsoft.office.outlook"
BROWSER = "com.android.chrome"
UPN = "alice@corp.example"


def _identity(pki: LabPKI, alias: str) -> Identity:
    h = pki.derived["entrust"]
    key = generate_key(KeyAlgorithm.EC_P256)
    subject = cp.Subject("Alice", card_uuid=uuid.uuid4(), upn=UPN)
    cert = h.issuing.issue(key.public_key(), subject, cp.DERIVED_PIV_AUTH)
    return Identity(alias, CredentialRole.PIV_AUTH, key, cert, (h.issuing.cert,), "dc", WORK)


@pytest.fixture
def keychain(pki: LabPKI, clock: ManualClock) -> AndroidKeyChain:
    """An older and a newer derived credential: profiles must pick the newer alias."""
    store = AndroidKeyChain()
    for app in (OUTLOOK, BROWSER):
        store.register_app(app, WORK)
    store.add_identity(_identity(pki, "dc-old"))
    clock.advance(dt.timedelta(days=1))
    store.add_identity(_identity(pki, "dc-new"))
    return store


@pytest.fixture(params=PLATFORMS)
def ctx(request: pytest.FixtureRequest, keychain: AndroidKeyChain) -> ProfileContext:
    return ProfileContext(request.param, keychain, INTUNE_APP)


def _b64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(Encoding.DER)).decode()


def root_policy(pki: LabPKI, pid: str = "root-1") -> dict[str, Any]:
    return {
        "id": pid,
        "@odata.type": ROOT,
        "displayName": "RADIUS root",
        "trustedRootCertificate": _b64(pki.tls_root.cert),
        "certFileName": "radius.cer",
    }


def wifi_policy(**over: Any) -> dict[str, Any]:
    return {
        "id": "wifi-1",
        "@odata.type": WIFI,
        "displayName": "Corp",
        "networkName": "Corp network",
        "ssid": "CORP",
        "connectAutomatically": True,
        "wiFiSecurityType": "wpaEnterprise",
        "eapType": "eapTls",
        "authenticationMethod": "derivedCredential",
        "trustedServerCertificateNames": ["radius.corp.example"],
        "rootCertificatesForServerValidation": ["root-1"],
        "rootCertificateForServerValidation": [],
        **over,
    }


def apply(ctx: ProfileContext, policy: dict[str, Any]) -> dict[str, Any]:
    art = renderer_for(ctx.platform, policy["@odata.type"]).apply(policy, ctx)
    assert art.media_type == "application/json" and art.filename.endswith(".json")
    doc: dict[str, Any] = json.loads(art.content)
    return doc


def test_registered_once_for_the_family_and_found_through_both_modes() -> None:
    assert PLATFORMS == ("android-fully-managed", "android-work-profile")
    for name in PLATFORMS:
        for t in (ROOT, WIFI, APP_AUTH):
            by_name, by_platform = renderer_for(name, t), renderer_for(platform(name), t)
            assert isinstance(by_name, AndroidRenderer) and by_name.family is Family.ANDROID
            assert type(by_name) is type(by_platform) is type(renderer_for(PLATFORMS[0], t))
    with pytest.raises(UnsupportedError, match="ios: profile type"):
        renderer_for("ios", WIFI)


def test_trusted_root_is_a_ca_certificate_entry(ctx: ProfileContext, pki: LabPKI) -> None:
    doc = apply(ctx, root_policy(pki))
    entry = doc["caCertificate"]
    assert entry["Type"] == "Authority"
    assert x509.load_der_x509_certificate(base64.b64decode(entry["X509"])) == pki.tls_root.cert
    assert doc["certFileName"] == "radius.cer"
    assert pki.tls_root.cert in ctx.store.trusted_roots()
    assert ctx.root_payload_uuids["root-1"] == entry["GUID"]


def test_wifi_onc_selects_the_derived_credential_alias(ctx: ProfileContext, pki: LabPKI) -> None:
    root_guid = apply(ctx, root_policy(pki))["caCertificate"]["GUID"]
    onc = apply(ctx, wifi_policy())["openNetworkConfiguration"]
    assert onc["Type"] == "UnencryptedConfiguration"
    [net] = onc["NetworkConfigurations"]
    assert net["Type"] == "WiFi" and net["Name"] == "Corp network"
    wifi = net["WiFi"]
    assert wifi["SSID"] == "CORP" and wifi["Security"] == "WPA-EAP" and wifi["AutoConnect"] is True
    eap = wifi["EAP"]
    assert eap["Outer"] == "EAP-TLS"
    assert "Inner" not in eap
    assert eap["ClientCertType"] == "KeyPairAlias"
    assert eap["ClientCertKeyPairAlias"] == "dc-new"
    assert eap["Identity"] == UPN
    assert eap["DomainSuffixMatch"] == ["radius.corp.example"]
    assert eap["ServerCARefs"] == [root_guid]
    [ca] = onc["Certificates"]
    assert ca == {"GUID": root_guid, "Type": "Authority", "X509": _b64(pki.tls_root.cert)}


@pytest.mark.parametrize(
    ("eap_type", "over", "outer", "inner"),
    [
        (
            "eapTtls",
            {"innerAuthenticationProtocolForEapTtls": "unencryptedPassword"},
            "EAP-TTLS",
            "PAP",
        ),
        (
            "eapTtls",
            {"innerAuthenticationProtocolForEapTtls": "microsoftChapVersionTwo"},
            "EAP-TTLS",
            "MSCHAPv2",
        ),
        (
            "peap",
            {"innerAuthenticationProtocolForPeap": "microsoftChapVersionTwo"},
            "PEAP",
            "MSCHAPv2",
        ),
        ("peap", {"innerAuthenticationProtocolForPeap": "none"}, "PEAP", "Automatic"),
        ("peap", {}, "PEAP", None),
    ],
)
def test_wifi_tunnelled_methods(
    ctx: ProfileContext,
    pki: LabPKI,
    eap_type: str,
    over: dict[str, Any],
    outer: str,
    inner: str | None,
) -> None:
    apply(ctx, root_policy(pki))
    policy = wifi_policy(eapType=eap_type, outerIdentityPrivacyTemporaryValue="anonymous", **over)
    eap = apply(ctx, policy)["openNetworkConfiguration"]["NetworkConfigurations"][0]["WiFi"]["EAP"]
    assert eap["Outer"] == outer
    assert eap.get("Inner") == inner
    assert eap["AnonymousIdentity"] == "anonymous"
    assert eap["ClientCertKeyPairAlias"] == "dc-new"


def test_wifi_inner_method_without_an_android_equivalent(ctx: ProfileContext, pki: LabPKI) -> None:
    apply(ctx, root_policy(pki))
    policy = wifi_policy(eapType="eapTtls", innerAuthenticationProtocolForEapTtls="microsoftChap")
    with pytest.raises(ProfileError, match="no Android Management API equivalent"):
        apply(ctx, policy)


def test_single_and_listed_roots_are_merged(ctx: ProfileContext, pki: LabPKI) -> None:
    apply(ctx, root_policy(pki, "root-1"))
    other = dict(root_policy(pki, "root-2"), trustedRootCertificate=_b64(pki.piv.root.cert))
    apply(ctx, other)
    policy = wifi_policy(
        rootCertificateForServerValidation=["root-2"],
        rootCertificatesForServerValidation=["root-1", "root-2"],
    )
    onc = apply(ctx, policy)["openNetworkConfiguration"]
    assert [c["X509"] for c in onc["Certificates"]] == [
        _b64(pki.piv.root.cert),
        _b64(pki.tls_root.cert),
    ]
    eap = onc["NetworkConfigurations"][0]["WiFi"]["EAP"]
    assert eap["ServerCARefs"] == [c["GUID"] for c in onc["Certificates"]]


@pytest.mark.parametrize("eap_type", ["leap", "eapSim", "eapFast"])
def test_derived_credential_needs_tls_ttls_or_peap(
    ctx: ProfileContext, pki: LabPKI, eap_type: str
) -> None:
    apply(ctx, root_policy(pki))
    with pytest.raises(ProfileError, match="EAP-TLS, EAP-TTLS or PEAP"):
        apply(ctx, wifi_policy(eapType=eap_type))


@pytest.mark.parametrize(
    ("over", "match"),
    [
        ({"rootCertificatesForServerValidation": []}, "root CA"),
        ({"trustedServerCertificateNames": []}, "server names"),
        ({"rootCertificatesForServerValidation": ["missing"]}, "not installed"),
        ({"wiFiSecurityType": "wpaPersonal"}, "wpaEnterprise"),
        ({"authenticationMethod": "usernameAndPassword"}, "not emulated"),
        ({"eapType": "teap"}, "unknown EAP type"),
    ],
)
def test_wifi_refusals(ctx: ProfileContext, pki: LabPKI, over: dict[str, Any], match: str) -> None:
    apply(ctx, root_policy(pki))
    with pytest.raises(ProfileError, match=match):
        apply(ctx, wifi_policy(**over))


def test_wifi_needs_the_credential(pki: LabPKI) -> None:
    ctx = ProfileContext("android-fully-managed", AndroidKeyChain(), INTUNE_APP)
    apply(ctx, root_policy(pki))
    with pytest.raises(ProfileError, match="no pivAuthentication credential"):
        apply(ctx, wifi_policy())


# --- app authentication --------------------------------------------------------------------------


def auth_policy(mode: str | None, *packages: str) -> dict[str, Any]:
    policy: dict[str, Any] = {"id": "auth-1", "@odata.type": APP_AUTH, "displayName": "DC auth"}
    if mode is not None:
        policy["certificateAccessType"] = mode
    if packages:
        policy["silentCertificateAccessDetails"] = [{"packageId": p} for p in packages]
    return policy


def test_specific_apps_are_granted_in_the_keychain(
    ctx: ProfileContext, keychain: AndroidKeyChain
) -> None:
    with pytest.raises(AccessDeniedError, match="no grant"):
        keychain.identities(OUTLOOK, CredentialRole.PIV_AUTH)
    renderer = renderer_for(ctx.platform, APP_AUTH)
    assert renderer.uses_derived_credential(auth_policy("specificApps", OUTLOOK))
    doc = apply(ctx, auth_policy("specificApps", OUTLOOK))
    assert doc["alias"] == "dc-new"
    assert doc["certificateAccess"] == {"mode": "specificApps", "silentPackageIds": [OUTLOOK]}
    assert doc["grantsApplied"] is True and doc["appliedWith"] == "set_certificate_access"
    assert keychain.certificate_access is CertificateAccess.SPECIFIC_APPS
    assert keychain.silent_apps == (OUTLOOK,)
    assert keychain.identities(OUTLOOK, CredentialRole.PIV_AUTH)[0].ref == "dc-new"
    # An app not listed still needs the user's approval.
    with pytest.raises(AccessDeniedError, match="no grant"):
        keychain.identities(BROWSER, CredentialRole.PIV_AUTH)


def test_user_approval_resets_silent_access(ctx: ProfileContext, keychain: AndroidKeyChain) -> None:
    apply(ctx, auth_policy("specificApps", OUTLOOK))
    doc = apply(ctx, auth_policy(None))
    assert doc["certificateAccess"] == {"mode": "userApproval", "silentPackageIds": []}
    assert keychain.certificate_access is CertificateAccess.USER_APPROVAL
    assert keychain.silent_apps == ()


class GrantStore(CertificateStore):
    """A store that only knows `grant_silently(package_id, alias)`."""

    def __init__(self) -> None:
        super().__init__()
        self.granted: list[tuple[str, str]] = []

    def may_use(self, app: str, identity: Identity) -> bool:
        return True

    def grant_silently(self, package_id: str, alias: str) -> None:
        self.granted.append((package_id, alias))


class PlainStore(CertificateStore):
    def may_use(self, app: str, identity: Identity) -> bool:
        return True


def test_grant_silently_is_used_when_present(pki: LabPKI) -> None:
    store = GrantStore()
    store.add_identity(_identity(pki, "alias-1"))
    ctx = ProfileContext("android-work-profile", store, INTUNE_APP)
    doc = apply(ctx, auth_policy("specificApps", OUTLOOK, BROWSER))
    assert store.granted == [(OUTLOOK, "alias-1"), (BROWSER, "alias-1")]
    assert doc["appliedWith"] == "grant_silently"
    # User approval grants nothing silently.
    store.granted.clear()
    assert apply(ctx, auth_policy("userApproval"))["grantsApplied"] is False
    assert store.granted == []


def test_store_without_grants_gets_the_artifact_only(pki: LabPKI) -> None:
    store = PlainStore()
    store.add_identity(_identity(pki, "alias-1"))
    ctx = ProfileContext("android-fully-managed", store, INTUNE_APP)
    art = renderer_for(ctx.platform, APP_AUTH).apply(auth_policy("specificApps", OUTLOOK), ctx)
    doc = json.loads(art.content)
    assert doc["grantsApplied"] is False and doc["appliedWith"] is None
    assert "not applied" in art.summary


@pytest.mark.parametrize(
    ("policy", "match"),
    [
        (auth_policy("specificApps"), "lists no packageId"),
        (auth_policy("unknownFutureValue"), "not one the agent knows"),
    ],
)
def test_app_auth_refusals(ctx: ProfileContext, policy: dict[str, Any], match: str) -> None:
    with pytest.raises(ProfileError, match=match):
        apply(ctx, policy)
