"""The device channel: enrollment, check-in (policies, derived-credential actions,
notifications), renewal at the threshold, issuer deletion, status reports and syncDevice."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import ALL_DEVICES, ALL_USERS, CONFIGS, DC, GRAPH, Intune, group_target

ENROLL = "enrollDerivedCredential"
RENEW = "renewDerivedCredential"


async def _tenant(intune: Intune, **settings: object) -> tuple[str, str, str]:
    """Settings, a trusted root and a derived-credential Wi-Fi profile, both for all users."""
    sid = (await intune.add_settings(**settings))["id"]
    root = (await intune.add_root())["id"]
    wifi = (await intune.add_wifi([root]))["id"]
    await intune.assign(root, ALL_USERS)
    await intune.assign(wifi, ALL_USERS)
    return sid, root, wifi


async def test_enroll(intune: Intune) -> None:
    device_id, token = await intune.enroll("Alice@corp.example")
    assert len(token) >= 40
    device = await intune.call("GET", f"/beta/deviceManagement/managedDevices/{device_id}")
    assert device["@odata.type"] == f"{GRAPH}managedDevice"
    assert device["userPrincipalName"] == "Alice@corp.example"
    assert device["operatingSystem"] == "iOS" and device["deviceType"] == "iPhone"
    assert device["deviceEnrollmentType"] == "userEnrollment"
    assert device["lastSyncDateTime"] is None
    listed = await intune.call("GET", "/beta/deviceManagement/managedDevices")
    assert [d["id"] for d in listed["value"]] == [device_id]
    # The same user enrolls a second device: one user, two devices.
    await intune.enroll("alice@corp.example", platform="android")
    assert len(intune.tenant.users) == 1 and len(intune.tenant.devices) == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("upn", "alice"),
        ("platform", "macos"),
        ("deviceName", ""),
        ("enrollmentType", "byod"),
        ("osVersion", 17),
    ],
)
async def test_enroll_field_checks(intune: Intune, field: str, value: object) -> None:
    body = {"deviceName": "d", "upn": "a@corp.example", "platform": "ios", field: value}
    doc = await intune.problem("POST", "/device/v1/enroll", body, 400, "malformed")
    assert doc["field"] == field
    assert intune.tenant.devices == {} and intune.tenant.users == {}


async def test_checkin_returns_exactly_the_targeted_policies(intune: Intune) -> None:
    sid, root, wifi = await _tenant(intune)
    other = (await intune.add_root(displayName="not assigned"))["id"]
    gid = await intune.add_group("others", "bob@corp.example")
    await intune.assign(other, group_target(gid))
    _, token = await intune.enroll()
    doc = await intune.checkin(token, intune.credential(sid))
    assert [p["id"] for p in doc["policies"]] == [root, wifi]
    root_p, wifi_p = doc["policies"]
    assert root_p["@odata.type"] == f"{GRAPH}iosTrustedRootCertificate"
    assert root_p["trustedRootCertificate"] == intune.ca_b64
    assert wifi_p["@odata.type"] == f"{GRAPH}iosEnterpriseWiFiConfiguration"
    assert wifi_p["version"] == 1
    assert wifi_p["rootCertificatesForServerValidation"] == [root]
    assert wifi_p["authenticationMethod"] == "derivedCredential"
    assert doc["derivedCredential"]["id"] == sid
    assert doc["actions"] == [] and doc["heldBack"] == []


async def test_no_enroll_action_until_a_derived_credential_policy_targets(
    intune: Intune,
) -> None:
    sid = (await intune.add_settings(notificationType="companyPortal,email"))["id"]
    root = (await intune.add_root())["id"]
    await intune.assign(root, ALL_USERS)
    wifi = (await intune.add_wifi(eapType="peap", authenticationMethod="usernameAndPassword"))["id"]
    await intune.assign(wifi, ALL_USERS)
    dc_wifi = (await intune.add_wifi(displayName="DC Wi-Fi"))["id"]
    _, token = await intune.enroll()

    doc = await intune.checkin(token)
    assert doc["derivedCredential"]["id"] == sid
    assert doc["actions"] == [] and doc["notifications"] == []
    assert intune.tenant.outbox == []

    await intune.assign(dc_wifi, ALL_USERS)
    doc = await intune.checkin(token)
    assert [a["action"] for a in doc["actions"]] == [ENROLL]
    assert doc["actions"][0]["reason"] == "noCredential"
    assert [n["channel"] for n in doc["notifications"]] == ["companyPortal", "email"]
    assert "https://help.corp.example/pivd" in doc["notifications"][0]["message"]
    assert [m.to for m in intune.tenant.outbox] == ["alice@corp.example"]


async def test_no_action_without_settings(intune: Intune) -> None:
    wifi = (await intune.add_wifi())["id"]
    await intune.assign(wifi, ALL_USERS)
    _, token = await intune.enroll()
    doc = await intune.checkin(token)
    assert doc["derivedCredential"] is None
    assert doc["actions"] == [] and doc["policies"] == []
    assert doc["heldBack"] == [
        {
            "id": wifi,
            "@odata.type": f"{GRAPH}iosEnterpriseWiFiConfiguration",
            "version": 1,
            "reason": "noDerivedCredentialIssuer",
            "detail": doc["heldBack"][0]["detail"],
        }
    ]


@pytest.mark.parametrize(
    ("notification_type", "portal", "emails"),
    [
        ("none", 0, 0),
        ("companyPortal", 1, 0),
        ("email", 0, 1),
        ("companyPortal,email", 1, 1),
    ],
)
async def test_notifications_follow_notification_type_once(
    intune: Intune, notification_type: str, portal: int, emails: int
) -> None:
    await _tenant(intune, notificationType=notification_type)
    _, token = await intune.enroll()
    first = await intune.checkin(token)
    assert [a["action"] for a in first["actions"]] == [ENROLL]
    channels = [n["channel"] for n in first["notifications"]]
    assert channels.count("companyPortal") == portal
    assert channels.count("email") == emails
    assert len(intune.tenant.outbox) == emails
    # The action stays while it holds; the same cause is not notified twice.
    again = await intune.checkin(token)
    assert [a["action"] for a in again["actions"]] == [ENROLL]
    assert again["notifications"] == []
    assert len(intune.tenant.outbox) == emails
    outbox = await intune.call("GET", "/admin/outbox?to=ALICE@corp.example")
    assert len(outbox["value"]) == emails


async def test_valid_credential_needs_no_action(intune: Intune) -> None:
    sid, _, _ = await _tenant(intune)
    _, token = await intune.enroll()
    doc = await intune.checkin(token, intune.credential(sid))
    assert doc["actions"] == []


@pytest.mark.parametrize("threshold", [20, 50, 1, 99])
async def test_renewal_at_threshold(intune: Intune, threshold: int) -> None:
    """A 365-day credential: renewal once (100 - threshold)% of its lifetime has passed."""
    sid, _, _ = await _tenant(intune, renewalThresholdPercentage=threshold)
    device_id, token = await intune.enroll()
    credential = intune.credential(sid, days=365)
    at = dt.timedelta(days=365) * (100 - threshold) / 100

    intune.clock.advance(at - dt.timedelta(seconds=1))
    assert (await intune.checkin(token, credential))["actions"] == []

    intune.clock.advance(dt.timedelta(seconds=1))
    doc = await intune.checkin(token, credential)
    assert [(a["action"], a["reason"]) for a in doc["actions"]] == [
        (RENEW, "renewalThresholdReached")
    ]
    assert [n["channel"] for n in doc["notifications"]] == ["companyPortal"]

    device = await intune.call("GET", f"/beta/deviceManagement/managedDevices/{device_id}")
    assert device["@dcemu.derivedCredential"]["settingsId"] == sid


async def test_default_threshold_renews_at_80_percent(intune: Intune) -> None:
    sid, _, _ = await _tenant(intune)
    _, token = await intune.enroll()
    credential = intune.credential(sid, days=100)
    intune.clock.advance(dt.timedelta(days=79, hours=23))
    assert (await intune.checkin(token, credential))["actions"] == []
    intune.clock.advance(dt.timedelta(hours=1))
    assert [a["action"] for a in (await intune.checkin(token, credential))["actions"]] == [RENEW]


async def test_expired_credential_must_enroll_again(intune: Intune) -> None:
    sid, _, _ = await _tenant(intune)
    _, token = await intune.enroll()
    credential = intune.credential(sid, days=10)
    intune.clock.advance(dt.timedelta(days=10))
    doc = await intune.checkin(token, credential)
    assert [(a["action"], a["reason"]) for a in doc["actions"]] == [(ENROLL, "credentialExpired")]


async def test_credential_from_another_issuer(intune: Intune) -> None:
    sid, _, _ = await _tenant(intune)
    _, token = await intune.enroll()
    doc = await intune.checkin(token, intune.credential(sid, issuer="intercede"))
    assert [(a["action"], a["reason"]) for a in doc["actions"]] == [(ENROLL, "issuerMismatch")]


async def test_delete_and_re_add_invalidates_credentials_and_holds_profiles(
    intune: Intune,
) -> None:
    old_sid, root, wifi = await _tenant(intune)
    _, token = await intune.enroll()
    credential = intune.credential(old_sid)
    assert (await intune.checkin(token, credential))["actions"] == []

    await intune.call("DELETE", f"{DC}/{old_sid}", status=204)
    doc = await intune.checkin(token, credential)
    assert doc["derivedCredential"] is None and doc["actions"] == []
    assert [p["id"] for p in doc["policies"]] == [root]

    # The same issuer again: new settings, old credentials still invalid.
    new_sid = (await intune.add_settings())["id"]
    assert new_sid != old_sid
    doc = await intune.checkin(token, credential)
    assert [(a["action"], a["reason"]) for a in doc["actions"]] == [
        (ENROLL, "issuedUnderDeletedSettings")
    ]
    assert [p["id"] for p in doc["policies"]] == [root]
    assert [(h["id"], h["reason"]) for h in doc["heldBack"]] == [
        (wifi, "editRequiredAfterIssuerChange")
    ]
    graph = await intune.call("GET", f"{CONFIGS}/{wifi}")
    assert graph["@dcemu.deliveryHold"]["reason"] == "editRequiredAfterIssuerChange"

    # A new credential alone does not release the profile ...
    fresh = intune.credential(new_sid)
    doc = await intune.checkin(token, fresh)
    assert doc["actions"] == [] and [p["id"] for p in doc["policies"]] == [root]

    # ... any edit does (here: the description), with a new version.
    await intune.call("PATCH", f"{CONFIGS}/{wifi}", {"description": "re-saved"})
    doc = await intune.checkin(token, fresh)
    assert [(p["id"], p["version"]) for p in doc["policies"]] == [(root, 1), (wifi, 2)]
    assert doc["heldBack"] == []
    assert "@dcemu.deliveryHold" not in await intune.call("GET", f"{CONFIGS}/{wifi}")


async def test_profiles_created_after_re_add_are_not_held(intune: Intune) -> None:
    old_sid = (await intune.add_settings())["id"]
    await intune.call("DELETE", f"{DC}/{old_sid}", status=204)
    sid = (await intune.add_settings())["id"]
    wifi = (await intune.add_wifi())["id"]
    await intune.assign(wifi, ALL_USERS)
    _, token = await intune.enroll()
    doc = await intune.checkin(token, intune.credential(sid))
    assert [p["id"] for p in doc["policies"]] == [wifi]


async def test_unknown_settings_id_must_enroll(intune: Intune) -> None:
    await _tenant(intune)
    _, token = await intune.enroll()
    doc = await intune.checkin(token, intune.credential(""))
    assert [(a["action"], a["reason"]) for a in doc["actions"]] == [
        (ENROLL, "issuedUnderOtherSettings")
    ]


async def test_ios_notified_of_policy_changes_android_not(intune: Intune) -> None:
    sid = (await intune.add_settings(notificationType="companyPortal"))["id"]
    wifi = (await intune.add_wifi())["id"]
    await intune.assign(wifi, ALL_DEVICES)
    _, ios = await intune.enroll()
    credential = intune.credential(sid)
    doc = await intune.checkin(ios, credential)
    assert [n["channel"] for n in doc["notifications"]] == ["companyPortal"]
    assert "Corp Wi-Fi DC" in doc["notifications"][0]["message"]
    assert (await intune.checkin(ios, credential))["notifications"] == []
    await intune.call("PATCH", f"{CONFIGS}/{wifi}", {"ssid": "CORP2"})
    assert len((await intune.checkin(ios, credential))["notifications"]) == 1


@pytest.mark.parametrize(
    ("credential", "field"),
    [
        ("abc", "credential"),
        ({"thumbprint": None}, "credential.thumbprint"),
        ({"thumbprint": "zz"}, "credential.thumbprint"),
        ({"notBefore": "yesterday"}, "credential.notBefore"),
        ({"notAfter": "2020-01-01T00:00:00Z"}, "credential.notAfter"),
        ({"issuer": "acme"}, "credential.issuer"),
        ({"settingsId": 5}, "credential.settingsId"),
    ],
)
async def test_checkin_field_checks(intune: Intune, credential: object, field: str) -> None:
    sid, _, _ = await _tenant(intune)
    _, token = await intune.enroll()
    if isinstance(credential, dict):
        credential = {**intune.credential(sid), **credential}
    before = intune.snapshot()
    doc = await intune.problem(
        "POST", "/device/v1/checkin", {"credential": credential}, 400, "malformed", token=token
    )
    assert doc["field"] == field
    assert intune.tenant == before


@pytest.mark.parametrize("header", [None, "Bearer", "Basic abc", "Bearer wrong-token"])
async def test_checkin_needs_a_known_token(intune: Intune, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    resp = await intune.client.post("/device/v1/checkin", json={}, headers=headers)
    assert resp.status == 401
    assert (await resp.json(content_type=None))["type"] == "urn:dcemu:problem:unauthorized"


async def test_status_reports_appear_in_device_statuses(intune: Intune) -> None:
    sid, root, wifi = await _tenant(intune)
    device_id, token = await intune.enroll()
    await intune.checkin(token, intune.credential(sid))
    report = {"policyId": wifi, "version": 1, "status": "succeeded", "detail": "joined CORP"}
    await intune.call("POST", "/device/v1/status", report, status=204, token=token)
    await intune.call(
        "POST",
        "/device/v1/status",
        {"policyId": root, "version": 1, "status": "error", "detail": "bad anchor"},
        status=204,
        token=token,
    )
    statuses = (await intune.call("GET", f"{CONFIGS}/{wifi}/deviceStatuses"))["value"]
    assert len(statuses) == 1
    s = statuses[0]
    assert s["@odata.type"] == f"{GRAPH}deviceConfigurationDeviceStatus"
    assert s["id"] == f"{wifi}_{device_id}"
    assert s["status"] == "compliant" and s["userPrincipalName"] == "alice@corp.example"
    assert s["@dcemu.detail"] == "joined CORP"
    assert s["lastReportedDateTime"] == "2026-01-05T09:00:00Z"
    roots = (await intune.call("GET", f"{CONFIGS}/{root}/deviceStatuses"))["value"]
    assert [r["status"] for r in roots] == ["error"]

    # A later report replaces the device's earlier one.
    await intune.call(
        "POST", "/device/v1/status", {**report, "status": "notApplicable"}, status=204, token=token
    )
    statuses = (await intune.call("GET", f"{CONFIGS}/{wifi}/deviceStatuses"))["value"]
    assert [s["status"] for s in statuses] == ["notApplicable"]


@pytest.mark.parametrize(
    ("report", "status", "kind", "field"),
    [
        ({"version": 1, "status": "succeeded"}, 400, "malformed", "policyId"),
        ({"policyId": "nope", "version": 1, "status": "succeeded"}, 404, "not-found", "policyId"),
        ({"policyId": "WIFI", "version": 2, "status": "succeeded"}, 400, "malformed", "version"),
        ({"policyId": "WIFI", "version": 0, "status": "succeeded"}, 400, "malformed", "version"),
        ({"policyId": "WIFI", "version": 1, "status": "done"}, 400, "malformed", "status"),
    ],
)
async def test_bad_status_reports(
    intune: Intune, report: dict[str, object], status: int, kind: str, field: str
) -> None:
    _, _, wifi = await _tenant(intune)
    _, token = await intune.enroll()
    if report.get("policyId") == "WIFI":
        report = {**report, "policyId": wifi}
    before = intune.snapshot()
    doc = await intune.problem("POST", "/device/v1/status", report, status, kind, token=token)
    assert doc["field"] == field
    assert intune.tenant == before


async def test_sync_device(intune: Intune) -> None:
    device_id, token = await intune.enroll()
    path = f"/beta/deviceManagement/managedDevices/{device_id}"
    assert (await intune.call("GET", "/device/v1/sync", token=token))["checkinDue"] is True
    await intune.checkin(token)
    state = await intune.call("GET", "/device/v1/sync", token=token)
    assert state == {"checkinDue": False, "nextCheckinDateTime": "2026-01-05T17:00:00Z"}

    intune.clock.advance(dt.timedelta(minutes=10))
    assert await intune.call("POST", f"{path}/syncDevice", status=204) is None
    assert (await intune.call("GET", "/device/v1/sync", token=token))["checkinDue"] is True
    device = await intune.call("GET", path)
    assert [(a["actionName"], a["actionState"]) for a in device["deviceActionResults"]] == [
        ("syncDevice", "pending")
    ]
    await intune.checkin(token)
    device = await intune.call("GET", path)
    assert device["deviceActionResults"][0]["actionState"] == "done"
    assert device["lastSyncDateTime"] == "2026-01-05T09:10:00Z"
    await intune.problem(
        "POST", "/beta/deviceManagement/managedDevices/nope/syncDevice", None, 404, "not-found"
    )
