"""`TenantStore` on its own: what the model notes is what gets written, a failed write is
written again by the next flush, and stored records share nothing with the live tenant."""

from __future__ import annotations

import datetime as dt

import pytest

from mock_intune.model import Group, Records
from mock_intune.store import TenantStore, encode_tenant, load_tenant
from servicekit.storage import JsonDoc, MemoryStorage

NOW = dt.datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=dt.UTC)


class FailingOnce(MemoryStorage):
    """A storage whose next `put` fails (a full disk, say)."""

    fail = False

    def put(self, collection: str, key: str, doc: JsonDoc) -> None:
        if self.fail:
            self.fail = False
            raise OSError("disk full")
        super().put(collection, key, doc)


def group(gid: str, *members: str) -> Group:
    return Group(gid, f"group {gid}", frozenset(members), NOW, None, {"x": {"nested": [1]}})


def test_a_failed_write_is_written_by_the_next_flush() -> None:
    storage = FailingOnce()
    store = TenantStore(storage)
    store.tenant.add_group(group("g1", "a@corp.example"))
    store.tenant.add_group(group("g2"))
    storage.fail = True
    with pytest.raises(OSError):
        store.flush()
    assert list(store.tenant.changed) == [(Records.GROUPS, "g1"), (Records.GROUPS, "g2")]
    store.flush()
    assert store.tenant.changed == {}
    assert list(storage.load(Records.GROUPS)) == ["g1", "g2"]
    assert load_tenant(storage) == store.tenant


def test_records_share_nothing_with_the_tenant() -> None:
    storage = MemoryStorage()
    store = TenantStore(storage)
    g = group("g1")
    store.tenant.add_group(g)
    store.flush()
    g.extra["x"]["nested"].append(2)  # a change nobody noted: not in storage
    assert storage.get(Records.GROUPS, "g1")["extra"] == {"x": {"nested": [1]}}  # type: ignore[index]
    again = load_tenant(storage)
    again.groups["g1"].extra["x"]["nested"].append(3)
    assert storage.get(Records.GROUPS, "g1")["extra"] == {"x": {"nested": [1]}}  # type: ignore[index]


def test_times_keep_their_microseconds_and_deletions_are_written() -> None:
    storage = MemoryStorage()
    store = TenantStore(storage)
    store.tenant.add_group(group("g1"))
    store.flush()
    assert load_tenant(storage).groups["g1"].created == NOW
    del store.tenant.groups["g1"]
    store.tenant.touch(Records.GROUPS, "g1")
    store.flush()
    assert storage.load(Records.GROUPS) == {} and encode_tenant(store.tenant)["groups"] == {}
