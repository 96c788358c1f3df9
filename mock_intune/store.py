"""Where the tenant lives between restarts: `TenantStore` rebuilds a `Tenant` from a
`servicekit.storage.Storage` at start and writes the records a request changed before its
answer is sent.

The model notes every changed record (`Tenant.touch`, called by its methods); `flush`, run by
`flush_middleware` once the handler is done, encodes each noted record from the tenant as it now
is (`records`) and puts it, or deletes it when the tenant no longer has it. The servicekit's
`commit_middleware`, just outside, then commits: a change is durable before the answer that
acknowledges it, and a refused request (which changes and notes nothing) writes nothing.

Collections, one record per key (`Records`):

| collection | key | record |
|---|---|---|
| `derivedCredentials` | `tenant` | the settings, the ids of deleted settings, the issuer epoch |
| `deviceConfigurations` | profile id | properties, relationships, version, times, epoch saved in |
| `assignments` | profile id | the profile's assignments |
| `groups` | group id | name, description, members, unknown properties |
| `users` | lower-cased UPN | id, UPN |
| `managedDevices` | device id | the device, its user's UPN, check-in token digest, hardware id, reported credential, notified causes, actions |
| `deviceStatuses` | `{profile}_{device}` | the latest status a device reported for a profile |
| `outbox` | message id | an e-mail sent to a user |

Beside them, not tenant data (they survive `POST /admin/reset`): `meta` (`boots`: how many
times a service started on this storage) and the identity collections (`identity`).

Order: listings follow insertion order, and both backends load a collection in the order its
records were first put (a record replaced keeps its place), so a restarted tenant lists
everything in the same order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from servicekit.auth import Middleware
from servicekit.problems import Handler
from servicekit.storage import Storage
from trust_store.randomness import Randomness

from . import records as rec
from .fields import JsonObject
from .model import ISSUER_KEY, Records, Tenant, status_key

META = "meta"
BOOTS = "boots"


def plain(doc: JsonObject) -> JsonObject:
    """`doc` as JSON would give it back: a deep copy sharing nothing with the model, with the
    same types on both backends (tuples become lists; anything JSON cannot hold fails here)."""
    out: JsonObject = json.loads(json.dumps(doc))
    return out


def next_boot(storage: Storage) -> int:
    """Count one more start of the service on `storage` (written, committed with the rest of
    the start); the first start on a fresh storage is 1."""
    doc = storage.get(META, BOOTS) or {"count": 0}
    boot = int(doc["count"]) + 1
    storage.put(META, BOOTS, {"count": boot})
    return boot


def boot_randomness(rand: Randomness, boot: int) -> Randomness:
    """Where the identifiers and tokens of start number `boot` come from. A seeded lab restarted
    on the same storage would otherwise draw the identifiers it has already stored; each start
    after the first draws from its own stream (still repeatable for a seed)."""
    return rand if boot == 1 else rand.child(f"boot-{boot}")


@dataclass(frozen=True)
class _Kind:
    """How the records of one collection are found in a tenant and encoded."""

    #: The tenant's entities of this collection, by record key.
    view: Callable[[Tenant], Mapping[str, Any]]
    encode: Callable[[Any], JsonObject]


def _issuer(t: Tenant) -> JsonObject:
    return rec.encode_issuer_state(t.settings, t.deleted_settings, t.issuer_epoch)


KINDS: dict[Records, _Kind] = {
    Records.ISSUER: _Kind(lambda t: {ISSUER_KEY: t}, _issuer),
    Records.PROFILES: _Kind(lambda t: t.profiles, rec.encode_profile),
    Records.ASSIGNMENTS: _Kind(lambda t: t.assignments, rec.encode_assignments),
    Records.GROUPS: _Kind(lambda t: t.groups, rec.encode_group),
    Records.USERS: _Kind(lambda t: t.users, rec.encode_user),
    Records.MANAGED_DEVICES: _Kind(lambda t: t.devices, rec.encode_device),
    Records.DEVICE_STATUSES: _Kind(
        lambda t: {status_key(*k): s for k, s in t.statuses.items()}, rec.encode_status
    ),
    Records.OUTBOX: _Kind(lambda t: {m.id: m for m in t.outbox}, rec.encode_email),
}


def encode_tenant(tenant: Tenant) -> dict[str, dict[str, JsonObject]]:
    """Every record of `tenant`, by collection and key (what its storage must hold)."""
    out: dict[str, dict[str, JsonObject]] = {}
    for records, kind in KINDS.items():
        docs = {key: plain(kind.encode(e)) for key, e in kind.view(tenant).items()}
        if records is Records.ISSUER and tenant.settings is None and not tenant.deleted_settings:
            docs = {}
        out[records.value] = docs
    return out


def load_tenant(storage: Storage) -> Tenant:
    """The tenant `storage` holds (an empty one for an empty storage)."""
    t = Tenant()

    def load(records: Records) -> list[JsonObject]:
        return [plain(doc) for doc in storage.load(records).values()]

    issuer = storage.get(Records.ISSUER, ISSUER_KEY)
    if issuer is not None:
        issuer = plain(issuer)
        t.settings = None if issuer["settings"] is None else rec.decode_settings(issuer["settings"])
        t.deleted_settings = set(issuer["deletedSettings"])
        t.issuer_epoch = issuer["issuerEpoch"]
    t.profiles = {p.id: p for p in map(rec.decode_profile, load(Records.PROFILES))}
    t.assignments = {
        key: rec.decode_assignments(plain(doc))
        for key, doc in storage.load(Records.ASSIGNMENTS).items()
    }
    t.groups = {g.id: g for g in map(rec.decode_group, load(Records.GROUPS))}
    t.users = {u.upn.lower(): u for u in map(rec.decode_user, load(Records.USERS))}
    devices = [rec.decode_device(doc, t.users) for doc in load(Records.MANAGED_DEVICES)]
    t.devices = {d.id: d for d in devices}
    t.tokens = {d.checkin_token_digest: d.id for d in devices}
    statuses = [rec.decode_status(doc, t.devices) for doc in load(Records.DEVICE_STATUSES)]
    t.statuses = {(s.profile_id, s.device.id): s for s in statuses}
    t.outbox = [rec.decode_email(doc) for doc in load(Records.OUTBOX)]
    return t


class TenantStore:
    """A tenant and the storage it is kept in."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.tenant = load_tenant(storage)

    def flush(self) -> None:
        """Write every record the tenant noted as changed (commit is the caller's)."""
        changed, self.tenant.changed = list(self.tenant.changed), {}
        views: dict[Records, Mapping[str, Any]] = {}
        for done, (records, key) in enumerate(changed):
            kind = KINDS[records]
            try:
                if records not in views:
                    views[records] = kind.view(self.tenant)
                entity = views[records].get(key)
                if entity is None:
                    self.storage.delete(records, key)
                else:
                    self.storage.put(records, key, plain(kind.encode(entity)))
            except BaseException:
                # Not written: noted again, for the next flush (the request fails with a 500).
                for mark in changed[done:]:
                    self.tenant.changed[mark] = None
                raise

    def reset(self) -> None:
        """Empty the tenant, in memory and in storage (`POST /admin/reset`)."""
        self.tenant.reset()
        for records in Records:
            self.storage.clear(records)


def flush_middleware(store: TenantStore) -> Middleware:
    """Write what a request changed once its handler is done (refused or not), inside the
    servicekit's `commit_middleware`, which commits it before the answer is sent."""

    @web.middleware
    async def flush(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        finally:
            store.flush()

    return flush
