"""Assignments: the `assign` action, target types, groups, exclusion groups, and which devices
receive a profile."""

from __future__ import annotations

import pytest

from .conftest import ALL_DEVICES, ALL_USERS, CONFIGS, GRAPH, Intune, group_target


async def test_assign_replaces_and_lists(intune: Intune) -> None:
    wifi = await intune.add_wifi()
    gid = await intune.add_group("Wi-Fi users", "alice@corp.example")
    first = await intune.assign(wifi["id"], ALL_USERS)
    assert first[0]["@odata.type"] == f"{GRAPH}deviceConfigurationAssignment"
    assert first[0]["target"]["@odata.type"] == ALL_USERS["@odata.type"]
    assert first[0]["intent"] == "apply" and first[0]["sourceId"] == wifi["id"]

    second = await intune.assign(wifi["id"], group_target(gid), group_target(gid, exclude=True))
    listed = await intune.call("GET", f"{CONFIGS}/{wifi['id']}/assignments")
    assert listed["value"] == second
    assert [a["target"].get("groupId") for a in second] == [gid, gid]
    assert second[0]["target"]["deviceAndAppManagementAssignmentFilterType"] == "none"

    assert (await intune.assign(wifi["id"])) == []
    assert (await intune.call("GET", f"{CONFIGS}/{wifi['id']}/assignments"))["value"] == []


async def test_assign_unknown_profile(intune: Intune) -> None:
    await intune.problem("POST", f"{CONFIGS}/nope/assign", {"assignments": []}, 404, "not-found")


@pytest.mark.parametrize(
    ("assignments", "field"),
    [
        (None, "assignments"),
        ({"target": ALL_USERS}, "assignments"),
        ([{"intent": "apply"}], "assignments[0].target"),
        ([{"target": "all"}], "assignments[0].target"),
        (
            [{"target": {"@odata.type": f"{GRAPH}everyoneTarget"}}],
            "assignments[0].target.@odata.type",
        ),
        (
            [{"target": {"@odata.type": f"{GRAPH}groupAssignmentTarget"}}],
            "assignments[0].target.groupId",
        ),
        (
            [{"target": {"@odata.type": f"{GRAPH}groupAssignmentTarget", "groupId": "missing"}}],
            "assignments[0].target.groupId",
        ),
        ([{"target": ALL_USERS, "intent": "install"}], "assignments[0].intent"),
        (
            [{"target": {**ALL_USERS, "deviceAndAppManagementAssignmentFilterType": "maybe"}}],
            "assignments[0].target.deviceAndAppManagementAssignmentFilterType",
        ),
        (
            [{"target": ALL_USERS}, {"target": {"@odata.type": 5}}],
            "assignments[1].target.@odata.type",
        ),
    ],
)
async def test_bad_assignments_change_nothing(
    intune: Intune, assignments: object, field: str
) -> None:
    wifi = await intune.add_wifi()
    await intune.assign(wifi["id"], ALL_DEVICES)
    before = intune.snapshot()
    body = {} if assignments is None else {"assignments": assignments}
    doc = await intune.problem("POST", f"{CONFIGS}/{wifi['id']}/assign", body, 400, "malformed")
    assert doc["field"] == field
    assert intune.tenant == before


async def test_group_checks(intune: Intune) -> None:
    await intune.problem("POST", "/beta/groups", {"members": []}, 400, "malformed")
    doc = await intune.problem(
        "POST", "/beta/groups", {"displayName": "g", "members": ["bob"]}, 400, "malformed"
    )
    assert doc["field"] == "members[0]"
    assert intune.tenant.groups == {}
    gid = await intune.add_group("g", "Bob@Corp.Example", "carol@corp.example")
    doc = await intune.call("GET", f"/beta/groups/{gid}")
    assert doc["members"] == ["bob@corp.example", "carol@corp.example"]
    assert [g["id"] for g in (await intune.call("GET", "/beta/groups"))["value"]] == [gid]
    await intune.problem("GET", "/beta/groups/none", None, 404, "not-found")


async def _policy_ids(intune: Intune, token: str) -> list[str]:
    return [p["id"] for p in (await intune.checkin(token))["policies"]]


async def test_targeting(intune: Intune) -> None:
    """allDevices, allLicensedUsers, a group by UPN, and an exclusion group that wins."""
    alice = await intune.enroll("alice@corp.example")
    bob = await intune.enroll("Bob@corp.example")
    carol = await intune.enroll("carol@corp.example")
    engineers = await intune.add_group("engineers", "alice@corp.example", "bob@corp.example")
    contractors = await intune.add_group("contractors", "BOB@corp.example")

    p_all = (await intune.add_root(displayName="all devices"))["id"]
    p_users = (await intune.add_root(displayName="all users"))["id"]
    p_group = (await intune.add_root(displayName="engineers"))["id"]
    p_excl = (await intune.add_root(displayName="all but contractors"))["id"]
    (await intune.add_root(displayName="unassigned"))["id"]
    await intune.assign(p_all, ALL_DEVICES)
    await intune.assign(p_users, ALL_USERS)
    await intune.assign(p_group, group_target(engineers))
    await intune.assign(p_excl, ALL_USERS, group_target(contractors, exclude=True))

    assert await _policy_ids(intune, alice[1]) == [p_all, p_users, p_group, p_excl]
    assert await _policy_ids(intune, bob[1]) == [p_all, p_users, p_group]
    assert await _policy_ids(intune, carol[1]) == [p_all, p_users, p_excl]


async def test_exclusion_wins_over_all_devices(intune: Intune) -> None:
    _, token = await intune.enroll("alice@corp.example")
    gid = await intune.add_group("excluded", "alice@corp.example")
    pid = (await intune.add_root())["id"]
    await intune.assign(pid, group_target(gid, exclude=True), ALL_DEVICES)
    assert await _policy_ids(intune, token) == []


async def test_exclusion_alone_targets_nobody(intune: Intune) -> None:
    _, token = await intune.enroll("alice@corp.example")
    gid = await intune.add_group("excluded", "bob@corp.example")
    pid = (await intune.add_root())["id"]
    await intune.assign(pid, group_target(gid, exclude=True))
    assert await _policy_ids(intune, token) == []


async def test_remove_intent_does_not_deliver(intune: Intune) -> None:
    _, token = await intune.enroll()
    pid = (await intune.add_root())["id"]
    await intune.call(
        "POST",
        f"{CONFIGS}/{pid}/assign",
        {"assignments": [{"target": ALL_DEVICES, "intent": "remove"}]},
    )
    assert await _policy_ids(intune, token) == []


async def test_profiles_of_other_platforms_are_not_delivered(intune: Intune) -> None:
    _, android = await intune.enroll("alice@corp.example", platform="android")
    pid = (await intune.add_root())["id"]
    await intune.assign(pid, ALL_DEVICES)
    assert await _policy_ids(intune, android) == []


async def test_deleting_a_profile_drops_its_assignments(intune: Intune) -> None:
    pid = (await intune.add_root())["id"]
    await intune.assign(pid, ALL_DEVICES)
    await intune.call("DELETE", f"{CONFIGS}/{pid}", status=204)
    assert pid not in intune.tenant.assignments
