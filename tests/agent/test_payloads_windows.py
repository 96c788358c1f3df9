"""Windows renderers: trusted certificates into the Root/CA stores, the WLAN profile XML with an
EapHost EAP-TLS (PEAP, TTLS) configuration that selects the derived credential, and the VPNv2
ProfileXML behind the `windows-vpn-derived-credential` known issue. XML is parsed back with
xml.etree.ElementTree using Microsoft's published namespace URIs, written out here."""

from __future__ import annotations

import base64
import json
import uuid
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from agent.errors import ProfileError, UnsupportedError
from agent.payloads import ProfileContext, renderer_for
from agent.payloads.known_issues import DEFAULT_KNOWN_ISSUES, resolve
from trust_store import certprofiles as cp
from trust_store.errors import StoreError
from trust_store.keys import KeyAlgorithm, generate_key
from trust_store.labpki import LabPKI
from trust_store.stores import CertificateStore, CredentialRole, Identity
from trust_store.stores.windows_store import PROVIDER_APP, WindowsCertStore

ROOT = "#microsoft.graph.windows81TrustedRootCertificate"
WIFI = "#microsoft.graph.windowsWifiEnterpriseEAPConfiguration"
VPN = "#microsoft.graph.windows10VpnConfiguration"
KNOWN_ISSUE = "windows-vpn-derived-credential"

NS = {
    "w": "http://www.microsoft.com/networking/WLAN/profile/v1",
    "onex": "http://www.microsoft.com/networking/OneX/v1",
    "eh": "http://www.microsoft.com/provisioning/EapHostConfig",
    "ec": "http://www.microsoft.com/provisioning/EapCommon",
    "be": "http://www.microsoft.com/provisioning/BaseEapConnectionPropertiesV1",
    "tls1": "http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV1",
    "tls2": "http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV2",
    "tls3": "http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV3",
    "peap": "http://www.microsoft.com/provisioning/MsPeapConnectionPropertiesV1",
    "ttls": "http://www.microsoft.com/provisioning/EapTtlsConnectionPropertiesV1",
}


def spaced(cert: x509.Certificate) -> str:
    return " ".join(f"{b:02x}" for b in cert.fingerprint(hashes.SHA1()))


def b64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(Encoding.DER)).decode()


@pytest.fixture
def store(pki: LabPKI) -> WindowsCertStore:
    s = WindowsCertStore()
    h = pki.derived["entrust"]
    key = generate_key(KeyAlgorithm.EC_P256)
    subject = cp.Subject("Alice", card_uuid=uuid.uuid4(), upn="alice@corp.example")
    cert = h.issuing.issue(key.public_key(), subject, cp.DERIVED_PIV_AUTH)
    s.add_identity(
        Identity(
            "x", CredentialRole.PIV_AUTH, key, cert, (h.issuing.cert,), "dc", "CurrentUser\\My"
        )
    )
    return s


@pytest.fixture
def ctx(store: WindowsCertStore) -> ProfileContext:
    return ProfileContext("windows", store, PROVIDER_APP)


def thumb(store: WindowsCertStore) -> str:
    [identity] = store.all_identities()
    return identity.ref


def root_policy(pid: str, cert: x509.Certificate, dest: str | None = None) -> dict[str, Any]:
    policy = {"id": pid, "@odata.type": ROOT, "trustedRootCertificate": b64(cert)}
    if dest:
        policy["destinationStore"] = dest
    return policy


def wifi_policy(**over: Any) -> dict[str, Any]:
    return {
        "id": "wifi-1",
        "@odata.type": WIFI,
        "displayName": "Corp",
        "networkName": "Corp network",
        "ssid": "CORP",
        "connectAutomatically": True,
        "wifiSecurityType": "wpa2Enterprise",
        "eapType": "eapTls",
        "authenticationMethod": "derivedCredential",
        "authenticationType": "user",
        "performServerValidation": True,
        "trustedServerCertificateNames": ["radius.corp.example", "radius2.corp.example"],
        "rootCertificatesForServerValidation": ["radius-root"],
        "rootCertificateForClientValidation": [],
        **over,
    }


def vpn_policy(**over: Any) -> dict[str, Any]:
    return {
        "id": "vpn-1",
        "@odata.type": VPN,
        "displayName": "Corp VPN",
        "connectionName": "Corp VPN",
        "connectionType": "ikEv2",
        "profileTarget": "user",
        "authenticationMethod": "derivedCredential",
        "servers": [
            {"address": "vpn2.corp.example", "isDefaultServer": False},
            {"address": "vpn.corp.example", "description": "primary", "isDefaultServer": True},
        ],
        "rememberUserCredentials": True,
        "dnsSuffixes": ["corp.example"],
        **over,
    }


def render(ctx: ProfileContext, policy: dict[str, Any]) -> ET.Element:
    art = renderer_for("windows", policy["@odata.type"]).apply(policy, ctx)
    assert art.media_type == "application/xml"
    return ET.fromstring(art.content)


def text(node: ET.Element, path: str) -> str | None:
    found = node.find(path, NS)
    assert found is not None, path
    return found.text


# --- trusted certificates ------------------------------------------------------------------------


def test_root_goes_to_local_machine_root(
    ctx: ProfileContext, store: WindowsCertStore, pki: LabPKI
) -> None:
    art = renderer_for("windows", ROOT).apply(root_policy("r1", pki.tls_root.cert), ctx)
    doc = json.loads(art.content)
    assert doc["store"] == "LocalMachine\\Root"
    assert doc["thumbprint"] == pki.tls_root.cert.fingerprint(hashes.SHA1()).hex().upper()
    assert base64.b64decode(doc["certificate"]) == pki.tls_root.cert.public_bytes(Encoding.DER)
    assert pki.tls_root.cert in store.certificates("LocalMachine\\Root")
    assert ctx.root_certs["r1"] == pki.tls_root.cert


def test_intermediate_destination(
    ctx: ProfileContext, store: WindowsCertStore, pki: LabPKI
) -> None:
    issuing = pki.derived["intercede"].issuing.cert
    policy = root_policy("r2", issuing, "userCertStoreIntermediate")
    doc = json.loads(renderer_for("windows", ROOT).apply(policy, ctx).content)
    assert doc["store"] == "CurrentUser\\CA"
    assert issuing in store.certificates("CurrentUser\\CA")
    assert issuing not in store.trusted_roots()
    # A self-signed root is never filed as an intermediate.
    with pytest.raises(StoreError, match="self-signed"):
        renderer_for("windows", ROOT).apply(
            root_policy("r3", pki.tls_root.cert, "computerCertStoreIntermediate"), ctx
        )


class PlainStore(CertificateStore):
    def may_use(self, app: str, identity: Identity) -> bool:
        return True


def test_other_stores_get_roots_only(pki: LabPKI) -> None:
    store = PlainStore()
    ctx = ProfileContext("windows", store, PROVIDER_APP)
    renderer_for("windows", ROOT).apply(root_policy("r1", pki.tls_root.cert), ctx)
    assert store.trusted_roots() == [pki.tls_root.cert]
    issuing = pki.derived["entrust"].issuing.cert
    art = renderer_for("windows", ROOT).apply(
        root_policy("r2", issuing, "computerCertStoreIntermediate"), ctx
    )
    assert "not trusted" in json.loads(art.content)["store"]
    assert store.trusted_roots() == [pki.tls_root.cert]


# --- Wi-Fi ---------------------------------------------------------------------------------------


def _deploy(ctx: ProfileContext, pki: LabPKI, derived_root: bool = True) -> None:
    renderer_for("windows", ROOT).apply(root_policy("radius-root", pki.tls_root.cert), ctx)
    if derived_root:
        renderer_for("windows", ROOT).apply(
            root_policy("dc-root", pki.derived["entrust"].root.cert), ctx
        )


def _tls_config(eap: ET.Element) -> ET.Element:
    """The EAP-TLS `EapType` under a `baseEap:Eap` element."""
    assert text(eap, "be:Type") == "13"
    found = eap.find("tls1:EapType", NS)
    assert found is not None
    return found


def _check_tls(et: ET.Element, issuer_hash: str, pki: LabPKI, names: str) -> None:
    assert (
        text(et, "tls1:CredentialsSource/tls1:CertificateStore/tls1:SimpleCertSelection") == "true"
    )
    assert text(et, "tls1:ServerValidation/tls1:ServerNames") == names
    roots = [e.text for e in et.findall("tls1:ServerValidation/tls1:TrustedRootCA", NS)]
    assert roots == [spaced(pki.tls_root.cert)]
    assert text(et, "tls2:PerformServerValidation") == "true"
    fi = et.find("tls2:TLSExtensions/tls3:FilteringInfo", NS)
    assert fi is not None
    ca_list = fi.find("tls3:CAHashList", NS)
    assert ca_list is not None and ca_list.get("Enabled") == "true"
    assert [e.text for e in ca_list.findall("tls3:IssuerHash", NS)] == [issuer_hash]
    assert text(fi, "tls3:EKUMapping/tls3:EKUMap/tls3:EKUOID") == "1.3.6.1.5.5.7.3.2"
    eku_list = fi.find("tls3:ClientAuthEKUList", NS)
    assert eku_list is not None and eku_list.get("Enabled") == "true"


def test_wlan_profile_eap_tls(ctx: ProfileContext, pki: LabPKI) -> None:
    _deploy(ctx, pki)
    root = render(ctx, wifi_policy())
    assert root.tag == f"{{{NS['w']}}}WLANProfile"
    assert text(root, "w:name") == "Corp network"
    assert text(root, "w:SSIDConfig/w:SSID/w:name") == "CORP"
    assert text(root, "w:SSIDConfig/w:SSID/w:hex") == "434F5250"
    assert text(root, "w:connectionType") == "ESS"
    assert text(root, "w:connectionMode") == "auto"
    ae = "w:MSM/w:security/w:authEncryption/"
    assert (text(root, ae + "w:authentication"), text(root, ae + "w:encryption")) == ("WPA2", "AES")
    assert text(root, ae + "w:useOneX") == "true"
    onex = root.find("w:MSM/w:security/onex:OneX", NS)
    assert onex is not None
    assert text(onex, "onex:authMode") == "user"
    host = onex.find("onex:EAPConfig/eh:EapHostConfig", NS)
    assert host is not None
    assert text(host, "eh:EapMethod/ec:Type") == "13"
    assert text(host, "eh:EapMethod/ec:AuthorId") == "0"
    eap = host.find("eh:Config/be:Eap", NS)
    assert eap is not None
    # No client-validation root bound: the filter is the root the derived credential chains to.
    _check_tls(
        _tls_config(eap),
        spaced(pki.derived["entrust"].root.cert),
        pki,
        "radius.corp.example;radius2.corp.example",
    )


def test_issuer_hash_falls_back_to_the_issuing_ca(ctx: ProfileContext, pki: LabPKI) -> None:
    _deploy(ctx, pki, derived_root=False)
    root = render(ctx, wifi_policy())
    hashes_ = [e.text for e in root.iter(f"{{{NS['tls3']}}}IssuerHash")]
    assert hashes_ == [spaced(pki.derived["entrust"].issuing.cert)]


def test_client_validation_root_must_be_in_the_chain(ctx: ProfileContext, pki: LabPKI) -> None:
    _deploy(ctx, pki)
    root = render(ctx, wifi_policy(rootCertificateForClientValidation=["dc-root"]))
    hashes_ = [e.text for e in root.iter(f"{{{NS['tls3']}}}IssuerHash")]
    assert hashes_ == [spaced(pki.derived["entrust"].root.cert)]
    with pytest.raises(ProfileError, match="does not chain to the client-validation root"):
        render(ctx, wifi_policy(rootCertificateForClientValidation=["radius-root"]))


def test_wlan_profile_peap_wraps_eap_tls(ctx: ProfileContext, pki: LabPKI) -> None:
    _deploy(ctx, pki)
    host = render(ctx, wifi_policy(eapType="peap")).find(".//eh:EapHostConfig", NS)
    assert host is not None
    assert text(host, "eh:EapMethod/ec:Type") == "25"
    outer = host.find("eh:Config/be:Eap", NS)
    assert outer is not None and text(outer, "be:Type") == "25"
    peap = outer.find("peap:EapType", NS)
    assert peap is not None
    assert text(peap, "peap:ServerValidation/peap:TrustedRootCA") == spaced(pki.tls_root.cert)
    inner = peap.find("be:Eap", NS)
    assert inner is not None
    _check_tls(
        _tls_config(inner),
        spaced(pki.derived["entrust"].root.cert),
        pki,
        "radius.corp.example;radius2.corp.example",
    )


def test_wlan_profile_ttls_phase2_eap_tls(ctx: ProfileContext, pki: LabPKI) -> None:
    _deploy(ctx, pki)
    policy = wifi_policy(eapType="eapTtls", outerIdentityPrivacyTemporaryValue="anonymous")
    host = render(ctx, policy).find(".//eh:EapHostConfig", NS)
    assert host is not None
    assert text(host, "eh:EapMethod/ec:Type") == "21"
    assert text(host, "eh:EapMethod/ec:AuthorId") == "311"
    ttls = host.find("eh:Config/ttls:EapTtls", NS)
    assert ttls is not None
    assert text(ttls, "ttls:ServerValidation/ttls:TrustedRootCAHash") == spaced(pki.tls_root.cert)
    assert text(ttls, "ttls:Phase1Identity/ttls:AnonymousIdentity") == "anonymous"
    inner = ttls.find("ttls:Phase2Authentication/be:Eap", NS)
    assert inner is not None
    _tls_config(inner)


@pytest.mark.parametrize("eap", ["leap", "eapSim", "eapFast", "teap"])
def test_derived_credential_needs_tls_ttls_or_peap(
    ctx: ProfileContext, pki: LabPKI, eap: str
) -> None:
    _deploy(ctx, pki)
    with pytest.raises(ProfileError, match="EAP-TLS, EAP-TTLS or PEAP"):
        render(ctx, wifi_policy(eapType=eap))


@pytest.mark.parametrize(
    ("over", "match"),
    [
        ({"rootCertificatesForServerValidation": ["missing"]}, "not installed"),
        ({"wifiSecurityType": "wpa2Personal"}, "wpa2Enterprise"),
        ({"authenticationMethod": "certificate"}, "not emulated"),
        ({"eapType": "eapAka"}, "unknown EAP type"),
    ],
)
def test_wifi_refusals(ctx: ProfileContext, pki: LabPKI, over: dict[str, Any], match: str) -> None:
    _deploy(ctx, pki)
    with pytest.raises(ProfileError, match=match):
        render(ctx, wifi_policy(**over))


def test_wifi_needs_the_provider_apps_certificate(pki: LabPKI) -> None:
    ctx = ProfileContext("windows", WindowsCertStore(), PROVIDER_APP)
    _deploy(ctx, pki)
    with pytest.raises(ProfileError, match="no pivAuthentication credential"):
        render(ctx, wifi_policy())


# --- VPN and the known issue ---------------------------------------------------------------------


def test_known_issue_is_on_by_default(ctx: ProfileContext) -> None:
    assert KNOWN_ISSUE in DEFAULT_KNOWN_ISSUES
    assert KNOWN_ISSUE in ctx.known_issues
    with pytest.raises(ProfileError, match=KNOWN_ISSUE) as e:
        render(ctx, vpn_policy())
    assert "switch the known issue off" in str(e.value)
    # Other authentication methods are not affected.
    vpn = render(ctx, vpn_policy(authenticationMethod="usernameAndPassword"))
    assert text(vpn, "NativeProfile/Authentication/UserMethod") == "Mschapv2"


def test_known_issue_switched_off_renders_profile_xml(store: WindowsCertStore, pki: LabPKI) -> None:
    ctx = ProfileContext(
        "windows", store, PROVIDER_APP, known_issues=resolve(disable=[KNOWN_ISSUE])
    )
    _deploy(ctx, pki)
    vpn = render(ctx, vpn_policy())
    assert vpn.tag == "VPNProfile"
    assert text(vpn, "NativeProfile/Servers") == "vpn.corp.example;primary,vpn2.corp.example"
    assert text(vpn, "NativeProfile/NativeProtocolType") == "IKEv2"
    assert text(vpn, "NativeProfile/RoutingPolicyType") == "ForceTunnel"
    assert text(vpn, "NativeProfile/Authentication/UserMethod") == "Eap"
    assert text(vpn, "RememberCredentials") == "true"
    assert text(vpn, "DnsSuffix") == "corp.example"
    host = vpn.find("NativeProfile/Authentication/Eap/Configuration/eh:EapHostConfig", NS)
    assert host is not None
    assert text(host, "eh:EapMethod/ec:Type") == "13"
    eap = host.find("eh:Config/be:Eap", NS)
    assert eap is not None
    et = _tls_config(eap)
    assert [e.text for e in et.iter(f"{{{NS['tls3']}}}IssuerHash")] == [
        spaced(pki.derived["entrust"].root.cert)
    ]
    art = renderer_for("windows", VPN).apply(vpn_policy(), ctx)
    assert thumb(store) in art.summary


@pytest.mark.parametrize(
    ("over", "match"),
    [
        ({"profileTarget": "device"}, "device tunnel"),
        ({"connectionType": "pulseSecure"}, "plug-in"),
        ({"servers": []}, "no server"),
        ({"authenticationMethod": "certificate"}, "not emulated"),
    ],
)
def test_vpn_refusals(store: WindowsCertStore, over: dict[str, Any], match: str) -> None:
    ctx = ProfileContext("windows", store, PROVIDER_APP, known_issues=frozenset())
    with pytest.raises(ProfileError, match=match):
        render(ctx, vpn_policy(**over))


def test_known_issue_names_are_checked() -> None:
    assert resolve() == DEFAULT_KNOWN_ISSUES
    assert resolve(disable=[KNOWN_ISSUE]) == frozenset()
    assert resolve(enable=[KNOWN_ISSUE], base=()) == {KNOWN_ISSUE}
    with pytest.raises(UnsupportedError, match="unknown known issue"):
        resolve(disable=["windows-vpn-derived-credentials"])
