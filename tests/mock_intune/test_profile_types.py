"""The profile types beyond the iOS spine: Android Enterprise and Windows trusted roots and Wi-Fi,
iOS and Windows VPN, iOS Exchange email with S/MIME, and the iOS / Android derived-credential
app-authentication profiles. Each is created through the Graph API (strict server, so every
property name is a declared one), refused on bad enum values and broken cross-field rules, and
delivered at check-in to devices of its own platform only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mock_intune.profiles import REGISTRY

from .conftest import ALL_USERS, CONFIGS, GRAPH, Intune, MakeIntune

Body = dict[str, Any]

ANDROID_ROOT = f"{GRAPH}androidDeviceOwnerTrustedRootCertificate"
WINDOWS_ROOT = f"{GRAPH}windows81TrustedRootCertificate"
ANDROID_WIFI = f"{GRAPH}androidDeviceOwnerEnterpriseWiFiConfiguration"
WINDOWS_WIFI = f"{GRAPH}windowsWifiEnterpriseEAPConfiguration"
IOS_VPN = f"{GRAPH}iosVpnConfiguration"
WINDOWS_VPN = f"{GRAPH}windows10VpnConfiguration"
IOS_EMAIL = f"{GRAPH}iosEasEmailProfileConfiguration"
IOS_DC_AUTH = f"{GRAPH}iosDerivedCredentialAuthenticationConfiguration"
ANDROID_DC_AUTH = f"{GRAPH}androidDeviceOwnerDerivedCredentialAuthenticationConfiguration"

SERVER = {
    "@odata.type": "microsoft.graph.vpnServer",
    "address": "vpn.corp.example",
    "description": "primary",
    "isDefaultServer": True,
}


def bind(*ids: str) -> list[str]:
    return [
        f"https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations/{i}" for i in ids
    ]


def android_root(ca: str) -> Body:
    return {
        "@odata.type": ANDROID_ROOT,
        "displayName": "Android RADIUS root",
        "trustedRootCertificate": ca,
        "certFileName": "radius-root.cer",
    }


def windows_root(ca: str) -> Body:
    return {
        "@odata.type": WINDOWS_ROOT,
        "displayName": "Windows RADIUS root",
        "trustedRootCertificate": ca,
        "certFileName": "radius-root.cer",
        "destinationStore": "computerCertStoreRoot",
    }


def android_wifi(**over: Any) -> Body:
    return {
        "@odata.type": ANDROID_WIFI,
        "displayName": "Corp Wi-Fi DC (Android)",
        "networkName": "CORP",
        "ssid": "CORP",
        "connectAutomatically": True,
        "wiFiSecurityType": "wpaEnterprise",
        "eapType": "eapTls",
        "authenticationMethod": "derivedCredential",
        "trustedServerCertificateNames": ["radius.corp.example"],
        "macAddressRandomizationMode": "automatic",
        **over,
    }


def windows_wifi(**over: Any) -> Body:
    return {
        "@odata.type": WINDOWS_WIFI,
        "displayName": "Corp Wi-Fi DC (Windows)",
        "networkName": "CORP",
        "ssid": "CORP",
        "connectAutomatically": True,
        "wifiSecurityType": "wpa2Enterprise",
        "eapType": "eapTls",
        "authenticationMethod": "derivedCredential",
        "authenticationType": "user",
        "networkSingleSignOn": "disabled",
        "performServerValidation": True,
        "trustedServerCertificateNames": ["radius.corp.example"],
        **over,
    }


def ios_vpn(**over: Any) -> Body:
    return {
        "@odata.type": IOS_VPN,
        "displayName": "VPN DC",
        "connectionName": "Corp VPN",
        "connectionType": "ikEv2",
        "authenticationMethod": "derivedCredential",
        "server": SERVER,
        **over,
    }


def windows_vpn(**over: Any) -> Body:
    return {
        "@odata.type": WINDOWS_VPN,
        "displayName": "Windows VPN DC",
        "connectionName": "Corp VPN",
        "connectionType": "ikEv2",
        "profileTarget": "user",
        "authenticationMethod": "derivedCredential",
        "servers": [SERVER],
        **over,
    }


def ios_email(**over: Any) -> Body:
    return {
        "@odata.type": IOS_EMAIL,
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


def ios_dc_auth(**over: Any) -> Body:
    return {"@odata.type": IOS_DC_AUTH, "displayName": "DC auth (iOS)", **over}


def android_dc_auth(**over: Any) -> Body:
    return {
        "@odata.type": ANDROID_DC_AUTH,
        "displayName": "DC auth (Android)",
        "certificateAccessType": "specificApps",
        "silentCertificateAccessDetails": [
            {
                "@odata.type": "microsoft.graph.androidDeviceOwnerSilentCertificateAccess",
                "packageId": "com.example.app",
            }
        ],
        **over,
    }


async def post(intune: Intune, body: Body) -> Body:
    doc: Body = await intune.call("POST", CONFIGS, body, status=201)
    return doc


# --- create through Graph ------------------------------------------------------------------------

BUILDERS: list[Callable[..., Body]] = [
    android_wifi,
    windows_wifi,
    ios_vpn,
    windows_vpn,
    ios_email,
    ios_dc_auth,
    android_dc_auth,
]


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__name__)
async def test_create_each_type_on_a_strict_server(make_intune: MakeIntune, build: Any) -> None:
    intune = await make_intune(strict=True)
    body = build()
    doc = await post(intune, body)
    assert doc["@odata.type"] == body["@odata.type"]
    assert doc["version"] == 1
    for name, value in body.items():
        if name != "@odata.type":
            assert doc[name] == value, name
    assert await intune.call("GET", f"{CONFIGS}/{doc['id']}") == doc
    # PATCH keeps the type's rules and bumps the version.
    patched = await intune.call("PATCH", f"{CONFIGS}/{doc['id']}", {"description": "edited"})
    assert patched["version"] == 2 and patched["description"] == "edited"


@pytest.mark.parametrize("build", [android_root, windows_root], ids=lambda b: b.__name__)
async def test_create_trusted_roots(intune: Intune, build: Any, leaf_b64: str) -> None:
    doc = await post(intune, build(intune.ca_b64))
    assert doc["trustedRootCertificate"] == intune.ca_b64
    assert doc["certFileName"] == "radius-root.cer"
    bad = {**build(intune.ca_b64), "trustedRootCertificate": leaf_b64}
    err = await intune.problem("POST", CONFIGS, bad, 400, "malformed")
    assert err["field"] == "trustedRootCertificate" and "not a CA" in err["detail"]


async def test_windows_root_destination_store_is_optional(intune: Intune) -> None:
    body = windows_root(intune.ca_b64)
    del body["destinationStore"]
    assert "destinationStore" not in await post(intune, body)


def test_every_new_type_is_registered_for_its_platform() -> None:
    platforms = {t: REGISTRY[t].platform.value for t in REGISTRY}
    assert {t for t, p in platforms.items() if p == "android"} == {
        ANDROID_ROOT,
        ANDROID_WIFI,
        ANDROID_DC_AUTH,
    }
    assert {t for t, p in platforms.items() if p == "windows"} == {
        WINDOWS_ROOT,
        WINDOWS_WIFI,
        WINDOWS_VPN,
    }
    assert {IOS_VPN, IOS_EMAIL, IOS_DC_AUTH} <= {t for t, p in platforms.items() if p == "ios"}


# --- refusals ------------------------------------------------------------------------------------

BAD_ENUMS = [
    (android_wifi, "wiFiSecurityType", "wpa2Enterprise"),  # not an Android security type
    (android_wifi, "eapType", "leap"),  # androidEapType has only eapTls, eapTtls, peap
    (android_wifi, "innerAuthenticationProtocolForPeap", "pap"),
    (android_wifi, "macAddressRandomizationMode", "random"),
    (windows_wifi, "wifiSecurityType", "wpa3Enterprise"),
    (windows_wifi, "authenticationType", "device"),
    (windows_wifi, "networkSingleSignOn", "always"),
    (windows_wifi, "authenticationMethod", "smartCard"),
    (ios_vpn, "connectionType", "openVpn"),
    (ios_vpn, "authenticationMethod", "customEapXml"),  # a Windows-only member
    (windows_vpn, "authenticationMethod", "sharedSecret"),  # not windows10VpnAuthenticationMethod
    (windows_vpn, "connectionType", "ikev2"),
    (windows_vpn, "profileTarget", "machine"),
    (ios_email, "signingCertificateType", "smartCard"),
    (ios_email, "encryptionCertificateType", "derived"),
    (ios_email, "authenticationMethod", "oauth"),
    (ios_email, "emailAddressSource", "mail"),
    (ios_email, "easServices", "email,faxes"),
    (android_dc_auth, "certificateAccessType", "grantSilently"),
]


@pytest.mark.parametrize(
    ("build", "field", "value"), BAD_ENUMS, ids=[f"{b.__name__}-{f}" for b, f, _ in BAD_ENUMS]
)
async def test_bad_enum_values_are_refused(
    intune: Intune, build: Any, field: str, value: str
) -> None:
    before = intune.snapshot()
    err = await intune.problem("POST", CONFIGS, build(**{field: value}), 400, "malformed")
    assert err["field"] == field
    assert value in err["detail"]
    assert intune.tenant.profiles == before.profiles


@pytest.mark.parametrize("eap", ["leap", "eapSim", "eapFast", "teap"])
async def test_windows_derived_credential_needs_tls_ttls_or_peap(intune: Intune, eap: str) -> None:
    err = await intune.problem(
        "POST", CONFIGS, windows_wifi(eapType=eap), 400, "derived-credential-eap-type"
    )
    assert err["field"] == "eapType"
    assert err["allowed"] == ["eapTls", "eapTtls", "peap"]
    # The same EAP type is fine without a derived credential.
    await post(intune, windows_wifi(eapType=eap, authenticationMethod="usernameAndPassword"))


@pytest.mark.parametrize("eap", ["eapTls", "eapTtls", "peap"])
async def test_derived_credential_eap_types_accepted(intune: Intune, eap: str) -> None:
    assert (await post(intune, windows_wifi(eapType=eap)))["eapType"] == eap
    assert (await post(intune, android_wifi(eapType=eap)))["eapType"] == eap


async def test_android_derived_credential_without_eap_type(intune: Intune) -> None:
    body = android_wifi()
    del body["eapType"]
    err = await intune.problem("POST", CONFIGS, body, 400, "derived-credential-eap-type")
    assert err["field"] == "eapType"


async def test_patch_to_a_wrong_eap_type_is_refused(intune: Intune) -> None:
    wifi = await post(intune, windows_wifi())
    await intune.problem(
        "PATCH", f"{CONFIGS}/{wifi['id']}", {"eapType": "leap"}, 400, "derived-credential-eap-type"
    )
    assert intune.tenant.profiles[wifi["id"]].props["eapType"] == "eapTls"
    assert intune.tenant.profiles[wifi["id"]].version == 1


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"certificateAccessType": "specificApps", "silentCertificateAccessDetails": []}, None),
        ({"certificateAccessType": "userApproval"}, None),
        ({"silentCertificateAccessDetails": [{"packageId": "not a package"}]}, "packageId"),
        ({"silentCertificateAccessDetails": [{"packageId": "a.b"}, {"packageId": "a.b"}]}, "twice"),
        ({"silentCertificateAccessDetails": [{"name": "no id"}]}, "packageId"),
        (
            {
                "silentCertificateAccessDetails": [
                    {"packageId": f"com.example.a{i}"} for i in range(51)
                ]
            },
            "at most 50",
        ),
    ],
)
async def test_android_certificate_access_rules(
    intune: Intune, over: Body, field: str | None
) -> None:
    err = await intune.problem("POST", CONFIGS, android_dc_auth(**over), 400, "malformed")
    assert err["field"].startswith("silentCertificateAccessDetails")
    if field:
        assert field in err["field"] + err["detail"]


async def test_android_certificate_access_fifty_apps_and_user_approval(intune: Intune) -> None:
    apps = [{"packageId": f"com.example.a{i}"} for i in range(50)]
    doc = await post(intune, android_dc_auth(silentCertificateAccessDetails=apps))
    assert len(doc["silentCertificateAccessDetails"]) == 50
    # Switching to user approval needs the list cleared in the same edit.
    await intune.problem(
        "PATCH",
        f"{CONFIGS}/{doc['id']}",
        {"certificateAccessType": "userApproval"},
        400,
        "malformed",
    )
    patched = await intune.call(
        "PATCH",
        f"{CONFIGS}/{doc['id']}",
        {"certificateAccessType": "userApproval", "silentCertificateAccessDetails": None},
    )
    assert patched["certificateAccessType"] == "userApproval"
    plain = {"@odata.type": ANDROID_DC_AUTH, "displayName": "default access"}
    assert "certificateAccessType" not in await post(intune, plain)


async def test_vpn_rules(intune: Intune) -> None:
    err = await intune.problem(
        "POST",
        CONFIGS,
        ios_vpn(connectionType="ciscoAnyConnect", authenticationMethod="sharedSecret"),
        400,
        "malformed",
    )
    assert err["field"] == "authenticationMethod" and "ikEv2" in err["detail"]
    await post(intune, ios_vpn(authenticationMethod="sharedSecret"))
    body = ios_vpn()
    del body["server"]
    assert (await intune.problem("POST", CONFIGS, body, 400, "malformed"))["field"] == "server"
    err = await intune.problem(
        "POST", CONFIGS, ios_vpn(server={"description": "no address"}), 400, "malformed"
    )
    assert err["field"] == "server.address"
    err = await intune.problem(
        "POST", CONFIGS, windows_vpn(servers=[SERVER, {"address": 5}]), 400, "malformed"
    )
    assert err["field"] == "servers[1].address"
    err = await intune.problem(
        "POST", CONFIGS, windows_vpn(authenticationMethod="customEapXml"), 400, "malformed"
    )
    assert err["field"] == "eapXml"


# --- references ----------------------------------------------------------------------------------


async def test_wifi_root_references_are_platform_typed(intune: Intune) -> None:
    a_root = (await post(intune, android_root(intune.ca_b64)))["id"]
    w_root = (await post(intune, windows_root(intune.ca_b64)))["id"]
    i_root = (await intune.add_root())["id"]

    a_wifi = await post(
        intune,
        android_wifi(
            **{
                "rootCertificatesForServerValidation@odata.bind": bind(a_root),
                "rootCertificateForServerValidation@odata.bind": bind(a_root),
            }
        ),
    )
    assert intune.tenant.profiles[a_wifi["id"]].refs == {
        "rootCertificateForServerValidation": [a_root],
        "rootCertificatesForServerValidation": [a_root],
    }
    w_wifi = await post(
        intune,
        windows_wifi(
            **{
                "rootCertificatesForServerValidation@odata.bind": bind(w_root),
                "rootCertificateForClientValidation@odata.bind": bind(w_root),
            }
        ),
    )
    assert intune.tenant.profiles[w_wifi["id"]].refs["rootCertificateForClientValidation"] == [
        w_root
    ]
    # A root of another platform is refused, naming the expected type.
    err = await intune.problem(
        "POST",
        CONFIGS,
        android_wifi(**{"rootCertificatesForServerValidation@odata.bind": bind(i_root)}),
        400,
        "malformed",
    )
    assert err["allowed"] == [ANDROID_ROOT]
    err = await intune.problem(
        "POST",
        CONFIGS,
        windows_wifi(**{"rootCertificatesForServerValidation@odata.bind": bind(a_root)}),
        400,
        "malformed",
    )
    assert err["allowed"] == [WINDOWS_ROOT]
    # The single-valued relationships take one root.
    other = (await post(intune, windows_root(intune.ca_b64)))["id"]
    err = await intune.problem(
        "POST",
        CONFIGS,
        windows_wifi(**{"rootCertificateForClientValidation@odata.bind": bind(w_root, other)}),
        400,
        "malformed",
    )
    assert "at most 1" in err["detail"]
    # A referenced root cannot be deleted.
    await intune.problem("DELETE", f"{CONFIGS}/{w_root}", None, 409, "conflict")


# --- delivery at check-in -------------------------------------------------------------------------


async def _enroll(intune: Intune, platform: str, enrollment_type: str = "") -> str:
    doc = await intune.call(
        "POST",
        "/device/v1/enroll",
        {
            "deviceName": f"alice-{platform}-{enrollment_type or 'default'}",
            "upn": "alice@corp.example",
            "platform": platform,
            "osVersion": "14",
            "model": "test",
            "enrollmentType": enrollment_type,
        },
        status=201,
    )
    return str(doc["checkinToken"])


async def test_each_type_reaches_only_its_platform(intune: Intune) -> None:
    sid = (await intune.add_settings())["id"]
    a_root = (await post(intune, android_root(intune.ca_b64)))["id"]
    w_root = (await post(intune, windows_root(intune.ca_b64)))["id"]
    made = {
        "android": [
            a_root,
            (
                await post(
                    intune,
                    android_wifi(
                        **{"rootCertificatesForServerValidation@odata.bind": bind(a_root)}
                    ),
                )
            )["id"],
            (await post(intune, android_dc_auth()))["id"],
        ],
        "windows": [
            w_root,
            (
                await post(
                    intune,
                    windows_wifi(
                        **{"rootCertificatesForServerValidation@odata.bind": bind(w_root)}
                    ),
                )
            )["id"],
            (await post(intune, windows_vpn()))["id"],
        ],
        "ios": [
            (await post(intune, ios_vpn()))["id"],
            (await post(intune, ios_email()))["id"],
            (await post(intune, ios_dc_auth()))["id"],
        ],
    }
    for ids in made.values():
        for pid in ids:
            await intune.assign(pid, ALL_USERS)

    tokens = {
        "ios": await _enroll(intune, "ios"),
        "android-fully-managed": await _enroll(intune, "android", "androidEnterpriseFullyManaged"),
        "android-work-profile": await _enroll(
            intune, "android", "androidEnterpriseCorporateWorkProfile"
        ),
        "windows": await _enroll(intune, "windows"),
    }
    for device, token in tokens.items():
        doc = await intune.checkin(token)
        expected = made[device.split("-")[0]]
        assert [p["id"] for p in doc["policies"]] == expected, device
        assert doc["heldBack"] == []
        # Intune asks iOS and Android devices for a derived credential; Windows gets its
        # certificate from the issuer's app, so no enrollment action.
        actions = [a["action"] for a in doc["actions"]]
        assert actions == ([] if device == "windows" else ["enrollDerivedCredential"]), device
        if device.startswith("android"):
            wifi = doc["policies"][1]
            assert wifi["@odata.type"] == ANDROID_WIFI
            assert wifi["rootCertificatesForServerValidation"] == [a_root]
            assert wifi["rootCertificateForServerValidation"] == []
            auth = doc["policies"][2]
            assert auth["silentCertificateAccessDetails"][0]["packageId"] == "com.example.app"
        if device == "windows":
            assert doc["policies"][1]["rootCertificatesForServerValidation"] == [w_root]
            assert doc["policies"][1]["rootCertificateForClientValidation"] == []
            assert doc["policies"][2]["servers"][0]["address"] == "vpn.corp.example"
        if device == "ios":
            vpn, mail, _ = doc["policies"]
            assert vpn["server"] == SERVER
            assert mail["signingCertificateType"] == "derivedCredential"
            assert mail["encryptionCertificateType"] == "derivedCredential"
    assert sid


async def test_windows_profiles_do_not_wait_for_an_issuer(intune: Intune) -> None:
    """Without tenant settings, iOS/Android derived-credential profiles are held back; Windows
    ones (no derivedCredentialSettings in Graph) are delivered."""
    w_vpn = (await post(intune, windows_vpn()))["id"]
    a_auth = (await post(intune, android_dc_auth()))["id"]
    for pid in (w_vpn, a_auth):
        await intune.assign(pid, ALL_USERS)
    doc = await intune.checkin(await _enroll(intune, "windows"))
    assert [p["id"] for p in doc["policies"]] == [w_vpn] and doc["heldBack"] == []
    doc = await intune.checkin(await _enroll(intune, "android"))
    assert doc["policies"] == []
    assert [(h["id"], h["reason"]) for h in doc["heldBack"]] == [
        (a_auth, "noDerivedCredentialIssuer")
    ]


@pytest.mark.parametrize(
    ("over", "uses"),
    [
        ({}, True),
        (
            {
                "authenticationMethod": "usernameAndPassword",
                "signingCertificateType": "none",
                "encryptionCertificateType": "derivedCredential",
            },
            True,
        ),
        (
            {
                "authenticationMethod": "usernameAndPassword",
                "signingCertificateType": "derivedCredential",
                "encryptionCertificateType": "none",
            },
            True,
        ),
        (
            {
                "authenticationMethod": "usernameAndPassword",
                "signingCertificateType": "certificate",
                "encryptionCertificateType": "none",
            },
            False,
        ),
    ],
)
async def test_email_uses_derived_credential_through_any_of_three_fields(
    intune: Intune, over: Body, uses: bool
) -> None:
    await intune.add_settings()
    mail = (await post(intune, ios_email(**over)))["id"]
    await intune.assign(mail, ALL_USERS)
    doc = await intune.checkin(await _enroll(intune, "ios"))
    assert [p["id"] for p in doc["policies"]] == [mail]
    assert bool(doc["actions"]) is uses


async def test_openapi_describes_the_new_types(intune: Intune) -> None:
    schemas = (await intune.call("GET", "/openapi.json"))["components"]["schemas"]
    vpn = schemas["iosVpnConfiguration"]
    assert vpn["properties"]["server"]["required"] == ["address"]
    assert "ikEv2" in vpn["properties"]["connectionType"]["enum"]
    auth = schemas["androidDeviceOwnerDerivedCredentialAuthenticationConfiguration"]
    access = auth["properties"]["silentCertificateAccessDetails"]
    assert access["maxItems"] == 50
    # Optional, so also null (null clears an optional field).
    assert auth["properties"]["certificateAccessType"]["enum"] == [
        "userApproval",
        "specificApps",
        "unknownFutureValue",
        None,
    ]
    mail = schemas["iosEasEmailProfileConfiguration"]["properties"]
    assert {
        "smimeEncryptByDefaultEnabled",
        "signingCertificateType",
        "encryptionCertificateType",
    } <= set(mail)
    assert "windows10VpnAuthenticationMethod" not in schemas  # enums are inline
    assert (
        "derivedCredential"
        in schemas["windows10VpnConfiguration"]["properties"]["authenticationMethod"]["enum"]
    )
