"""Device-configuration profiles: create, PATCH with version bump, delete, field checks,
the trusted-root certificate check, the EAP-type rule and root-certificate references."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from .conftest import CONFIGS, GRAPH, Intune, MakeIntune

WIFI = f"{GRAPH}iosEnterpriseWiFiConfiguration"
ROOT = f"{GRAPH}iosTrustedRootCertificate"


async def test_create_get_list(intune: Intune) -> None:
    root = await intune.add_root()
    assert root["@odata.type"] == ROOT
    assert root["version"] == 1
    assert root["createdDateTime"] == root["lastModifiedDateTime"]
    wifi = await intune.add_wifi([root["id"]])
    assert wifi["@odata.type"] == WIFI and wifi["version"] == 1
    assert wifi["eapType"] == "eapTls"
    assert "rootCertificatesForServerValidation@odata.bind" not in wifi

    assert await intune.call("GET", f"{CONFIGS}/{wifi['id']}") == wifi
    listed = await intune.call("GET", CONFIGS)
    assert [p["id"] for p in listed["value"]] == [root["id"], wifi["id"]]
    assert intune.tenant.profiles[wifi["id"]].refs == {
        "rootCertificatesForServerValidation": [root["id"]]
    }


async def test_type_without_hash_is_accepted(intune: Intune) -> None:
    body = intune.wifi_body(**{"@odata.type": "microsoft.graph.iosEnterpriseWiFiConfiguration"})
    doc = await intune.call("POST", CONFIGS, body, status=201)
    assert doc["@odata.type"] == WIFI


async def test_patch_bumps_version(intune: Intune) -> None:
    wifi = await intune.add_wifi()
    pid = wifi["id"]
    intune.clock.advance(dt.timedelta(minutes=5))
    doc = await intune.call("PATCH", f"{CONFIGS}/{pid}", {"description": "edited"})
    assert doc["version"] == 2
    assert doc["description"] == "edited"
    assert doc["ssid"] == "CORP"
    assert doc["lastModifiedDateTime"] > doc["createdDateTime"]
    # Any PATCH is an edit, even an empty one.
    assert (await intune.call("PATCH", f"{CONFIGS}/{pid}", {}))["version"] == 3
    # Read-only properties in the body are ignored.
    doc = await intune.call("PATCH", f"{CONFIGS}/{pid}", {"version": 99, "id": "x"})
    assert doc["version"] == 4 and doc["id"] == pid


async def test_patch_may_not_change_type(intune: Intune) -> None:
    wifi = await intune.add_wifi()
    doc = await intune.problem(
        "PATCH", f"{CONFIGS}/{wifi['id']}", {"@odata.type": ROOT}, 400, "malformed"
    )
    assert doc["field"] == "@odata.type"


async def test_delete(intune: Intune) -> None:
    wifi = await intune.add_wifi()
    await intune.call("DELETE", f"{CONFIGS}/{wifi['id']}", status=204)
    await intune.problem("GET", f"{CONFIGS}/{wifi['id']}", None, 404, "not-found")
    await intune.problem("PATCH", f"{CONFIGS}/{wifi['id']}", {}, 404, "not-found")
    await intune.problem("DELETE", f"{CONFIGS}/{wifi['id']}", None, 404, "not-found")


async def test_referenced_root_cannot_be_deleted(intune: Intune) -> None:
    root = await intune.add_root()
    wifi = await intune.add_wifi([root["id"]])
    doc = await intune.problem("DELETE", f"{CONFIGS}/{root['id']}", None, 409, "conflict")
    assert doc["referencedBy"] == [wifi["id"]]
    await intune.call("DELETE", f"{CONFIGS}/{wifi['id']}", status=204)
    await intune.call("DELETE", f"{CONFIGS}/{root['id']}", status=204)


async def test_rebinding_roots_on_patch(intune: Intune) -> None:
    r1, r2 = await intune.add_root(), await intune.add_root(displayName="second")
    wifi = await intune.add_wifi([r1["id"]])
    body = {
        "rootCertificatesForServerValidation@odata.bind": [
            f"deviceConfigurations/{r2['id']}",
            f"deviceConfigurations('{r1['id']}')",
            f"deviceConfigurations/{r2['id']}",
        ]
    }
    await intune.call("PATCH", f"{CONFIGS}/{wifi['id']}", body)
    refs = intune.tenant.profiles[wifi["id"]].refs["rootCertificatesForServerValidation"]
    assert refs == [r2["id"], r1["id"]]


@pytest.mark.parametrize(
    ("binds", "detail"),
    [
        (["deviceConfigurations/no-such-id"], "no device configuration"),
        (["groups/abc"], "reference"),
        ([42], "reference"),
        ("deviceConfigurations/x", "array"),
    ],
)
async def test_bad_root_reference(intune: Intune, binds: object, detail: str) -> None:
    before = intune.snapshot()
    body = intune.wifi_body(**{"rootCertificatesForServerValidation@odata.bind": binds})
    doc = await intune.problem("POST", CONFIGS, body, 400, "malformed")
    assert doc["field"].startswith("rootCertificatesForServerValidation@odata.bind")
    assert detail in doc["detail"]
    assert intune.tenant == before


async def test_root_reference_must_be_a_trusted_root(intune: Intune) -> None:
    other = await intune.add_wifi()
    doc = await intune.problem("POST", CONFIGS, intune.wifi_body([other["id"]]), 400, "malformed")
    assert doc["allowed"] == [ROOT]


@pytest.mark.parametrize("eap", ["eapTls", "eapTtls", "peap"])
async def test_derived_credential_with_allowed_eap(intune: Intune, eap: str) -> None:
    doc = await intune.add_wifi(eapType=eap)
    assert doc["eapType"] == eap


@pytest.mark.parametrize("eap", ["leap", "eapSim", "eapFast", "teap", None])
async def test_derived_credential_eap_type_rule(intune: Intune, eap: str | None) -> None:
    before = intune.snapshot()
    doc = await intune.problem(
        "POST", CONFIGS, intune.wifi_body(eapType=eap), 400, "derived-credential-eap-type"
    )
    assert doc["field"] == "eapType"
    assert doc["allowed"] == ["eapTls", "eapTtls", "peap"]
    assert intune.tenant == before


async def test_other_eap_types_accepted_without_derived_credential(intune: Intune) -> None:
    doc = await intune.add_wifi(eapType="leap", authenticationMethod="usernameAndPassword")
    assert doc["eapType"] == "leap"


async def test_eap_rule_applies_to_merged_patch(intune: Intune) -> None:
    wifi = await intune.add_wifi(eapType="leap", authenticationMethod="certificate")
    before = intune.snapshot()
    await intune.problem(
        "PATCH",
        f"{CONFIGS}/{wifi['id']}",
        {"authenticationMethod": "derivedCredential"},
        400,
        "derived-credential-eap-type",
    )
    assert intune.tenant == before
    doc = await intune.call(
        "PATCH",
        f"{CONFIGS}/{wifi['id']}",
        {"authenticationMethod": "derivedCredential", "eapType": "peap"},
    )
    assert doc["version"] == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("eapType", "eapMd5"),
        ("authenticationMethod", "smartCard"),
        ("wiFiSecurityType", "wpa3Enterprise"),
        ("innerAuthenticationProtocolForEapTtls", "pap"),
        ("proxySettings", "pac"),
        ("connectAutomatically", "yes"),
        ("trustedServerCertificateNames", "radius.corp.example"),
        ("trustedServerCertificateNames", [1]),
        ("proxyManualPort", 70000),
        ("ssid", ""),
        ("ssid", None),
        ("displayName", None),
    ],
)
async def test_wifi_field_checks(intune: Intune, field: str, value: object) -> None:
    before = intune.snapshot()
    doc = await intune.problem(
        "POST", CONFIGS, intune.wifi_body(**{field: value}), 400, "malformed"
    )
    assert doc["field"].startswith(field)
    assert intune.tenant == before


async def test_unknown_enum_value_names_field_and_allowed(intune: Intune) -> None:
    doc = await intune.problem(
        "POST", CONFIGS, intune.wifi_body(eapType="eapMd5"), 400, "malformed"
    )
    assert doc["field"] == "eapType"
    assert "eapTls" in doc["allowed"] and "teap" in doc["allowed"]


async def test_missing_required_fields(intune: Intune) -> None:
    body = intune.wifi_body()
    del body["ssid"]
    assert (await intune.problem("POST", CONFIGS, body, 400, "malformed"))["field"] == "ssid"
    doc = await intune.problem(
        "POST", CONFIGS, {"@odata.type": ROOT, "displayName": "r"}, 400, "malformed"
    )
    assert doc["field"] == "trustedRootCertificate"


@pytest.mark.parametrize("odata_type", [None, "#microsoft.graph.macOSWiFiConfiguration", 3])
async def test_unknown_profile_type(intune: Intune, odata_type: object) -> None:
    doc = await intune.problem(
        "POST", CONFIGS, {"@odata.type": odata_type, "displayName": "x"}, 400, "malformed"
    )
    assert doc["field"] == "@odata.type"
    assert WIFI in doc["allowed"] and ROOT in doc["allowed"]


async def test_trusted_root_must_be_a_ca_certificate(intune: Intune, leaf_b64: str) -> None:
    cases = {
        "not base64!": "base64",
        base64.b64encode(b"not a certificate").decode(): "DER",
        leaf_b64: "CA",
        base64.urlsafe_b64encode(base64.b64decode(intune.ca_b64)).decode().replace("=", ""): "",
    }
    before = intune.snapshot()
    for value, detail in cases.items():
        doc = await intune.problem(
            "POST",
            CONFIGS,
            {"@odata.type": ROOT, "displayName": "r", "trustedRootCertificate": value},
            400,
            "malformed",
        )
        assert doc["field"] == "trustedRootCertificate"
        assert detail in doc["detail"]
    assert intune.tenant == before


async def test_unknown_properties_kept(intune: Intune) -> None:
    doc = await intune.add_wifi(futureSetting={"a": 1}, **{"@odata.etag": "W/1"})
    assert doc["futureSetting"] == {"a": 1}
    assert "@odata.etag" not in doc
    doc = await intune.call("PATCH", f"{CONFIGS}/{doc['id']}", {"description": "d"})
    assert doc["futureSetting"] == {"a": 1}


async def test_null_clears_optional_property(intune: Intune) -> None:
    wifi = await intune.add_wifi()
    doc = await intune.call(
        "PATCH", f"{CONFIGS}/{wifi['id']}", {"trustedServerCertificateNames": None}
    )
    assert doc["trustedServerCertificateNames"] is None


async def test_strict_server_refuses_unknown_profile_properties(make_intune: MakeIntune) -> None:
    intune = await make_intune(strict=True)
    doc = await intune.problem("POST", CONFIGS, intune.wifi_body(futureSetting=1), 400, "malformed")
    assert doc["field"] == "futureSetting"
