"""The storage contract of mock Intune, run over both backends (nanomdm's end-to-end suite is the
model): a tenant configured through `/beta` and the device channel, the app dropped and rebuilt
on the same storage (a restart, with the same seed), and every piece of the tenant the same.

Every request of the scenario is also checked against the storage: once answered, what is
committed equals the tenant in memory, record for record and in order (`Mirrored`)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from mock_intune import GRAPH_APP, ServerSettings, create_app
from mock_intune.model import Records, Tenant, token_digest
from mock_intune.store import encode_tenant
from servicekit.storage import MemoryStorage, SqliteStorage, Storage
from trust_store.clock import ManualClock
from trust_store.randomness import Randomness

from ..conftest import START
from .conftest import ALL_USERS, CONFIGS, DC, Intune, group_target

SEED = 1234
MD = "/beta/deviceManagement/managedDevices"
ALICE, BOB, CAROL, DAVE = (f"{n}@corp.example" for n in ("alice", "bob", "carol", "dave"))
Committed = dict[str, list[tuple[str, Any]]]


class Backend:
    """A storage the way a service gets it, and again after a restart."""

    def __init__(self, kind: str, path: Path) -> None:
        self.kind, self.path = kind, path
        self.storage: Storage = MemoryStorage() if kind == "memory" else SqliteStorage(path)

    def restart(self) -> Storage:
        """The storage a restarted service opens (SQLite: the same file, a new connection)."""
        if self.kind == "sqlite":
            self.storage.close()
            self.storage = SqliteStorage(self.path)
        return self.storage

    def committed(self) -> Committed:
        """The tenant's records another process would read now, in load order."""
        if self.kind == "memory":
            return {c.value: list(self.storage.load(c).items()) for c in Records}
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            query = "SELECT key, doc FROM records WHERE collection = ? ORDER BY rowid"
            return {
                c.value: [(k, json.loads(d)) for k, d in db.execute(query, (c.value,))]
                for c in Records
            }
        finally:
            db.close()

    def files(self) -> bytes:
        """Everything on disk (the database and its write-ahead log)."""
        return b"".join(f.read_bytes() for f in sorted(self.path.parent.glob("intune.sqlite3*")))


@pytest.fixture(params=["memory", "sqlite"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    b = Backend(request.param, tmp_path / "intune.sqlite3")
    yield b
    if b.kind == "sqlite":
        b.storage.close()


def in_memory(tenant: Tenant) -> Committed:
    return {c: list(docs.items()) for c, docs in encode_tenant(tenant).items()}


class Mirrored(Intune):
    """The test client, checking after every answer that the storage holds the tenant."""

    backend: Backend

    async def call(self, *args: Any, **kw: Any) -> Any:
        doc = await super().call(*args, **kw)
        assert self.backend.committed() == in_memory(self.tenant)
        return doc


Start = Callable[..., Awaitable[Intune]]


@pytest.fixture
def start(
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]], ca_b64: str, admin_token: str
) -> Start:
    async def make(storage: Storage, clock: ManualClock, backend: Backend | None = None) -> Intune:
        # A fresh generator with the same seed each time: what a restarted `dcemu serve` has.
        app = create_app(ServerSettings(admin_token=admin_token), clock, Randomness(SEED), storage)
        client = await aiohttp_client(app)
        if backend is None:
            return Intune(client, clock, ca_b64, admin_token)
        intune = Mirrored(client, clock, ca_b64, admin_token)
        intune.backend = backend
        return intune

    return make


# --- the scenario -----------------------------------------------------------------------------


async def enroll(intune: Intune, upn: str, platform: str, status: int = 201) -> dict[str, Any]:
    body = {
        "deviceName": f"{upn.split('@')[0]}-{platform}",
        "upn": upn,
        "platform": platform,
        "osVersion": "17.4",
        "model": "iPhone15,2",
        "hardwareId": f"hw-{upn}-{platform}",
    }
    doc: dict[str, Any] = await intune.call("POST", "/device/v1/enroll", body, status=status)
    return doc


class Scenario:
    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        self.tokens: dict[str, str] = {}
        self.stale_token = ""
        self.first_settings = self.second_settings = self.root = self.wifi = ""


async def configure(intune: Intune) -> Scenario:
    """Issuer, profiles, groups, assignments, four devices, check-ins with every kind of
    decision, notifications and mail, statuses, a sync, the issuer deleted and added again, an
    edit after it, and a device enrolling again from the same hardware."""
    sc = Scenario()
    first = await intune.add_settings(
        notificationType="companyPortal,email", renewalThresholdPercentage=30, extra="kept"
    )
    sc.first_settings = first["id"]
    sc.root = (await intune.add_root())["id"]
    sc.wifi = (await intune.add_wifi([sc.root], unknownProperty={"n": 1}))["id"]
    pilots = await intune.add_group("Pilots", ALICE, BOB, DAVE)
    blocked = await intune.add_group("Blocked", DAVE)
    await intune.assign(sc.root, ALL_USERS)
    await intune.assign(sc.wifi, group_target(pilots), group_target(blocked, exclude=True))
    for upn, platform in ((ALICE, "ios"), (BOB, "ios"), (CAROL, "android"), (DAVE, "ios")):
        doc = await enroll(intune, upn, platform)
        sc.ids[upn], sc.tokens[upn] = doc["deviceId"], doc["checkinToken"]
    alice = sc.tokens[ALICE]
    assert (await intune.checkin(alice))["actions"]  # asked to enroll: portal and e-mail
    old = intune.credential(sc.first_settings)
    assert (await intune.checkin(alice, old))["notifications"]  # iOS: policy changed
    for pid, status in ((sc.root, "succeeded"), (sc.wifi, "error")):
        body = {"policyId": pid, "version": 1, "status": status, "detail": status}
        await intune.call("POST", "/device/v1/status", body, status=204, token=alice)
    bob_credential = intune.credential(sc.first_settings, days=10)
    await intune.checkin(sc.tokens[BOB], bob_credential)
    intune.clock.advance(dt.timedelta(days=8))
    renew = await intune.checkin(sc.tokens[BOB], bob_credential)
    assert renew["actions"][0]["action"] == "renewDerivedCredential"
    await intune.call("POST", f"{MD}/{sc.ids[BOB]}/syncDevice", status=204)
    await intune.call("DELETE", f"{DC}/{sc.first_settings}", status=204)
    second = await intune.add_settings(notificationType="email", renewalThresholdPercentage=25)
    sc.second_settings = second["id"]
    deleted = await intune.checkin(alice, old)
    assert deleted["actions"][0]["reason"] == "issuedUnderDeletedSettings"
    assert deleted["heldBack"][0]["reason"] == "editRequiredAfterIssuerChange"
    await intune.call("PATCH", f"{CONFIGS}/{sc.wifi}", {"displayName": "Corp Wi-Fi v2"})
    again = await enroll(intune, ALICE, "ios", status=200)
    assert again["deviceId"] == sc.ids[ALICE]
    sc.stale_token, sc.tokens[ALICE] = alice, again["checkinToken"]
    return sc


def scrub(doc: Any) -> Any:
    """`doc` without what differs between two servers: the origin in `@odata.context`."""
    if isinstance(doc, dict):
        return {k: scrub(v) for k, v in doc.items() if k != "@odata.context"}
    if isinstance(doc, list):
        return [scrub(v) for v in doc]
    return doc


async def listings(intune: Intune, sc: Scenario) -> dict[str, Any]:
    """Everything the tenant shows: every Graph collection and entity, assignments, statuses,
    the outbox, and each device's sync state."""
    out: dict[str, Any] = {}

    async def get(path: str, token: str | None = None) -> list[dict[str, Any]]:
        out[path] = scrub(await intune.call("GET", path, token=token))
        return list(out[path].get("value", []))

    for s in await get(DC):
        await get(f"{DC}/{s['id']}")
    for p in await get(CONFIGS):
        for suffix in ("", "/assignments", "/deviceStatuses"):
            await get(f"{CONFIGS}/{p['id']}{suffix}")
    for g in await get("/beta/groups"):
        await get(f"/beta/groups/{g['id']}")
    for d in await get(MD):
        await get(f"{MD}/{d['id']}")
    await get("/admin/outbox")
    for upn, token in sc.tokens.items():
        out[f"sync {upn}"] = await intune.call("GET", "/device/v1/sync", token=token)
    return out


async def next_steps(intune: Intune, sc: Scenario) -> list[Any]:
    """What happens next on the device channel; the answers, for comparison."""
    out: list[Any] = []
    fresh = intune.credential(sc.second_settings)
    out.append(await intune.checkin(sc.tokens[ALICE], fresh))
    out.append(await intune.checkin(sc.tokens[ALICE], fresh))  # notified once, not again
    out.append(await intune.checkin(sc.tokens[BOB], intune.credential(sc.first_settings)))
    out.append(await intune.checkin(sc.tokens[CAROL]))
    out.append(await intune.checkin(sc.tokens[DAVE]))
    body = {"policyId": sc.wifi, "version": 2, "status": "succeeded"}
    await intune.call("POST", "/device/v1/status", body, status=204, token=sc.tokens[ALICE])
    out.append(await intune.problem("POST", "/device/v1/checkin", {}, 401, "unauthorized",
                                    token=sc.stale_token))  # fmt: skip
    out.append((await enroll(intune, DAVE, "ios", status=200))["deviceId"])
    out.append(await intune.call("GET", f"{CONFIGS}/{sc.wifi}/deviceStatuses"))
    outbox = await intune.call("GET", "/admin/outbox")
    out.append([{k: v for k, v in m.items() if k != "id"} for m in outbox["value"]])
    return [scrub(o) for o in out]


def identifiers(tenant: Tenant) -> set[str]:
    """Every identifier and token digest a tenant holds."""
    ids = {*tenant.deleted_settings, *tenant.profiles, *tenant.groups, *tenant.devices}
    ids |= {u.id for u in tenant.users.values()} | {m.id for m in tenant.outbox}
    ids |= {a.id for items in tenant.assignments.values() for a in items} | set(tenant.tokens)
    return ids | ({tenant.settings.id} if tenant.settings else set())


# --- the contract -----------------------------------------------------------------------------


async def test_a_restart_keeps_the_whole_tenant(backend: Backend, start: Start) -> None:
    clock = ManualClock(START)
    subject = await start(backend.storage, clock, backend)
    sc = await configure(subject)
    before, snapshot = await listings(subject, sc), subject.snapshot()
    held = subject.graph_token_held
    assert held is not None
    graph_token, expires = held
    await subject.client.close()
    if backend.kind == "sqlite":  # tokens are kept as SHA-256 only
        on_disk = backend.files()
        for token in (graph_token, *sc.tokens.values()):
            assert token.encode() not in on_disk

    restarted = await start(backend.restart(), clock, backend)
    assert restarted.tenant == snapshot
    restarted.use_graph_token(graph_token, expires)  # the script's token, from before
    assert await listings(restarted, sc) == before

    # Decisions after the restart are those of a server that never restarted.
    control = await start(MemoryStorage(), ManualClock(START))
    assert await next_steps(restarted, sc) == await next_steps(control, await configure(control))

    # New identifiers and tokens do not repeat stored ones (same seed, same storage).
    old = identifiers(snapshot)
    group = await restarted.add_group("After", ALICE)
    profile = (await restarted.add_root())["id"]
    erin = await enroll(restarted, "erin@corp.example", "ios")
    new = {group, profile, erin["deviceId"], token_digest(erin["checkinToken"])}
    new |= {m.id for m in restarted.tenant.outbox} - {m.id for m in snapshot.outbox}
    assert new.isdisjoint(old) and len(new) >= 4
    assert (await restarted.new_graph_token())[0] != graph_token

    # The Graph token from before the restart lasts exactly until its expiry.
    clock.set(expires - dt.timedelta(seconds=1))
    await restarted.call("GET", DC, token=graph_token)
    clock.set(expires)
    await restarted.problem("GET", DC, None, 401, "invalid-token", token=graph_token)


async def test_reset_clears_the_stored_tenant_not_the_registration(
    backend: Backend, start: Start
) -> None:
    clock = ManualClock(START)
    subject = await start(backend.storage, clock, backend)
    sc = await configure(subject)
    old, app = identifiers(subject.tenant), subject.graph_app
    await subject.call("POST", "/admin/reset", status=204)
    assert all(records == [] for records in backend.committed().values())
    held = subject.graph_token_held
    assert held is not None
    await subject.client.close()

    restarted = await start(backend.restart(), clock, backend)
    restarted.use_graph_token(*held)  # tokens survive a reset, and a restart
    assert restarted.graph_app == app
    empty = await listings(restarted, Scenario())
    assert all(doc.get("value", []) == [] for doc in empty.values())
    await restarted.problem("POST", "/device/v1/checkin", {}, 401, "unauthorized",
                            token=sc.tokens[BOB])  # fmt: skip
    device = await enroll(restarted, BOB, "ios")
    assert device["deviceId"] not in old


async def test_restarts_draw_new_streams_and_keep_made_up_credentials(
    backend: Backend, clock: ManualClock
) -> None:
    """Unseeded, the made-up Graph credentials would change at every start: they are kept."""
    apps = []
    for _ in range(3):
        app = create_app(ServerSettings(), clock, Randomness(None), backend.storage)
        apps.append(app[GRAPH_APP])
        backend.restart()
    assert apps[0] == apps[1] == apps[2]
    given = create_app(
        ServerSettings(client_secret="a-secret-given-in-the-settings"), clock, Randomness(1),
        backend.storage,
    )[GRAPH_APP]  # fmt: skip
    assert given.client_secret == "a-secret-given-in-the-settings"
    assert (given.tenant_id, given.client_id) == (apps[0].tenant_id, apps[0].client_id)
    assert backend.storage.get("meta", "boots") == {"count": 4}
