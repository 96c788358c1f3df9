"""Derived-credential settings: CRUD, one issuer per tenant, issuer immutability,
notificationType values, field checks."""

from __future__ import annotations

import asyncio

import pytest

from .conftest import DC, GRAPH, Intune, MakeIntune


async def test_crud(intune: Intune) -> None:
    assert (await intune.call("GET", DC))["value"] == []
    created = await intune.add_settings(renewalThresholdPercentage=25)
    assert created["@odata.type"] == f"{GRAPH}deviceManagementDerivedCredentialSettings"
    assert created["issuer"] == "entrustDatacard"
    assert created["renewalThresholdPercentage"] == 25
    sid = created["id"]

    listed = await intune.call("GET", DC)
    assert [s["id"] for s in listed["value"]] == [sid]
    assert listed["@odata.context"].endswith("$metadata#deviceManagement/derivedCredentials")
    assert await intune.call("GET", f"{DC}/{sid}") == created

    patched = await intune.call("PATCH", f"{DC}/{sid}", {"displayName": "renamed", "helpUrl": None})
    assert patched["displayName"] == "renamed"
    assert patched["helpUrl"] is None
    assert patched["renewalThresholdPercentage"] == 25

    await intune.call("DELETE", f"{DC}/{sid}", status=204)
    assert (await intune.call("GET", DC))["value"] == []
    await intune.problem("GET", f"{DC}/{sid}", None, 404, "not-found")
    await intune.problem("DELETE", f"{DC}/{sid}", None, 404, "not-found")


async def test_defaults(intune: Intune) -> None:
    doc = await intune.call("POST", DC, {"displayName": "x", "issuer": "purebred"}, status=201)
    assert doc["notificationType"] == "none"
    assert doc["renewalThresholdPercentage"] == 20
    assert doc["helpUrl"] is None


async def test_one_issuer_per_tenant(intune: Intune) -> None:
    first = await intune.add_settings()
    before = intune.snapshot()
    doc = await intune.problem(
        "POST", DC, {"displayName": "second", "issuer": "intercede"}, 409, "conflict"
    )
    assert doc["existing"] == first["id"]
    assert intune.tenant == before
    await intune.call("DELETE", f"{DC}/{first['id']}", status=204)
    await intune.add_settings(issuer="intercede")


async def test_concurrent_creates_one_wins(intune: Intune) -> None:
    bodies = [{"displayName": f"s{i}", "issuer": "purebred"} for i in range(5)]
    auth = await intune.auth(DC)
    resps = await asyncio.gather(*(intune.client.post(DC, json=b, headers=auth) for b in bodies))
    assert sorted(r.status for r in resps) == [201, 409, 409, 409, 409]
    assert len((await intune.call("GET", DC))["value"]) == 1


async def test_issuer_immutable(intune: Intune) -> None:
    sid = (await intune.add_settings())["id"]
    before = intune.snapshot()
    doc = await intune.problem(
        "PATCH",
        f"{DC}/{sid}",
        {"issuer": "intercede", "displayName": "changed"},
        400,
        "issuer-immutable",
    )
    assert doc["field"] == "issuer"
    assert intune.tenant == before
    # Sending the same issuer back (a full-object PATCH) is not a change.
    same = await intune.call("PATCH", f"{DC}/{sid}", {"issuer": "entrustDatacard"})
    assert same["issuer"] == "entrustDatacard"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("none", "none"),
        ("companyPortal", "companyPortal"),
        ("email", "email"),
        ("companyPortal,email", "companyPortal,email"),
        ("email, companyPortal", "companyPortal,email"),
    ],
)
async def test_notification_type_accepted(intune: Intune, given: str, stored: str) -> None:
    doc = await intune.add_settings(notificationType=given)
    assert doc["notificationType"] == stored


@pytest.mark.parametrize(
    "given",
    ["sms", "companyportal", "", "none,email", "email,email", "companyPortal,", 1, ["email"]],
)
async def test_notification_type_refused(intune: Intune, given: object) -> None:
    doc = await intune.problem(
        "POST",
        DC,
        {"displayName": "x", "issuer": "intercede", "notificationType": given},
        400,
        "malformed",
    )
    assert doc["field"] == "notificationType"
    assert "companyPortal,email" in doc["allowed"]
    assert intune.tenant.settings is None


async def test_notification_type_patch(intune: Intune) -> None:
    sid = (await intune.add_settings(notificationType="none"))["id"]
    doc = await intune.call("PATCH", f"{DC}/{sid}", {"notificationType": "companyPortal,email"})
    assert doc["notificationType"] == "companyPortal,email"
    await intune.problem("PATCH", f"{DC}/{sid}", {"notificationType": "push"}, 400, "malformed")
    assert intune.tenant.settings is not None
    assert len(intune.tenant.settings.notification) == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("issuer", "verisign"),
        ("issuer", None),
        ("displayName", ""),
        ("displayName", 7),
        ("renewalThresholdPercentage", 0),
        ("renewalThresholdPercentage", 100),
        ("renewalThresholdPercentage", "20"),
        ("renewalThresholdPercentage", True),
        ("renewalThresholdPercentage", 20.5),
        ("helpUrl", "not a url"),
        ("helpUrl", "ftp://help.example/x"),
        ("@odata.type", "#microsoft.graph.group"),
    ],
)
async def test_field_checks(intune: Intune, field: str, value: object) -> None:
    body = {"displayName": "x", "issuer": "intercede", field: value}
    doc = await intune.problem("POST", DC, body, 400, "malformed")
    assert doc["field"] == field
    assert intune.tenant.settings is None


async def test_missing_issuer(intune: Intune) -> None:
    doc = await intune.problem("POST", DC, {"displayName": "x"}, 400, "malformed")
    assert doc["field"] == "issuer"


async def test_unknown_enum_names_allowed_values(intune: Intune) -> None:
    doc = await intune.problem(
        "POST", DC, {"displayName": "x", "issuer": "Intercede"}, 400, "malformed"
    )
    assert doc["allowed"] == ["intercede", "entrustDatacard", "purebred", "xTec"]


async def test_unknown_fields_tolerated_and_kept(intune: Intune) -> None:
    doc = await intune.add_settings(futureFlag=True, roleScopeTagIds=["0"])
    assert doc["futureFlag"] is True
    sid = doc["id"]
    again = await intune.call("PATCH", f"{DC}/{sid}", {"another": 1})
    assert again["futureFlag"] is True and again["another"] == 1


async def test_strict_server_refuses_unknown_fields(make_intune: MakeIntune) -> None:
    intune = await make_intune(strict=True)
    doc = await intune.problem(
        "POST", DC, {"displayName": "x", "issuer": "xTec", "futureFlag": 1}, 400, "malformed"
    )
    assert doc["field"] == "futureFlag"
