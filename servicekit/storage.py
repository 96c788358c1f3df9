"""Where a mock service keeps the state that must survive it: records (JSON documents) in named
collections, behind one small interface with two backends.

- `MemoryStorage`: everything in memory (tests, the demo); a service rebuilt from the same object
  sees what was stored, so the storage contract runs over both backends alike.
- `SqliteStorage`: one SQLite database per service, in WAL mode, through the standard library's
  `sqlite3` (synchronous, so a change and its commit cannot interleave with another request's
  on the event loop; one small table; no extra dependency).

A service writes what changed with `put`/`delete` while it handles a request; `commit_middleware`
commits once the handler has returned and before aiohttp sends the answer, so a change is
durable before the answer that acknowledges it, and a refused request (which changes nothing)
commits nothing. `kill -9` at any moment loses only what was never acknowledged.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

JsonDoc = dict[str, Any]


@runtime_checkable
class Storage(Protocol):
    def load(self, collection: str) -> dict[str, JsonDoc]:
        """Every record of `collection`, by key."""
        ...

    def get(self, collection: str, key: str) -> JsonDoc | None: ...

    def put(self, collection: str, key: str, doc: JsonDoc) -> None:
        """Create or replace a record (durable at the next `commit`)."""
        ...

    def delete(self, collection: str, key: str) -> None: ...

    def clear(self, collection: str | None = None) -> None:
        """Forget a collection's records (every collection when None)."""
        ...

    def commit(self) -> None: ...

    def close(self) -> None: ...

    @property
    def persistent(self) -> bool:
        """True when the records outlive the process."""
        ...


class MemoryStorage:
    """Records in memory: nothing outlives the process, but a service rebuilt on the same
    object reloads them (the storage contract tests use that)."""

    persistent = False

    def __init__(self) -> None:
        self._data: dict[str, dict[str, JsonDoc]] = {}

    def load(self, collection: str) -> dict[str, JsonDoc]:
        return dict(self._data.get(collection, {}))

    def get(self, collection: str, key: str) -> JsonDoc | None:
        return self._data.get(collection, {}).get(key)

    def put(self, collection: str, key: str, doc: JsonDoc) -> None:
        self._data.setdefault(collection, {})[key] = doc

    def delete(self, collection: str, key: str) -> None:
        self._data.get(collection, {}).pop(key, None)

    def clear(self, collection: str | None = None) -> None:
        if collection is None:
            self._data.clear()
        else:
            self._data.pop(collection, None)

    def commit(self) -> None:
        return None

    def close(self) -> None:
        return None


class SqliteStorage:
    """Records in one SQLite file (WAL). Writes join one open transaction until `commit`."""

    persistent = True

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level="DEFERRED", check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL is durable against a process crash (kill -9), not a power cut.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS records ("
            " collection TEXT NOT NULL, key TEXT NOT NULL, doc TEXT NOT NULL,"
            " PRIMARY KEY (collection, key))"
        )
        self._db.commit()
        path.chmod(0o600)

    def load(self, collection: str) -> dict[str, JsonDoc]:
        rows = self._db.execute(
            "SELECT key, doc FROM records WHERE collection = ? ORDER BY rowid", (collection,)
        )
        return {key: json.loads(doc) for key, doc in rows}

    def get(self, collection: str, key: str) -> JsonDoc | None:
        row = self._db.execute(
            "SELECT doc FROM records WHERE collection = ? AND key = ?", (collection, key)
        ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def put(self, collection: str, key: str, doc: JsonDoc) -> None:
        self._db.execute(
            "INSERT INTO records (collection, key, doc) VALUES (?, ?, ?)"
            " ON CONFLICT (collection, key) DO UPDATE SET doc = excluded.doc",
            (collection, key, json.dumps(doc, separators=(",", ":"))),
        )

    def delete(self, collection: str, key: str) -> None:
        self._db.execute("DELETE FROM records WHERE collection = ? AND key = ?", (collection, key))

    def clear(self, collection: str | None = None) -> None:
        if collection is None:
            self._db.execute("DELETE FROM records")
        else:
            self._db.execute("DELETE FROM records WHERE collection = ?", (collection,))

    def commit(self) -> None:
        self._db.commit()

    def close(self) -> None:
        self._db.commit()
        self._db.close()

    def collections(self) -> Iterator[str]:
        for (name,) in self._db.execute("SELECT DISTINCT collection FROM records"):
            yield name


def storage_at(state_dir: Path | None, service: str) -> Storage:
    """The storage of `service`: `<state_dir>/<service>.sqlite3`, or memory without a
    state directory."""
    if state_dir is None:
        return MemoryStorage()
    return SqliteStorage(state_dir / f"{service}.sqlite3")


def commit_middleware(storage: Storage) -> Middleware:
    """Commit what a request changed after its handler returns, before the answer is sent."""

    @web.middleware
    async def commit(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        finally:
            storage.commit()

    return commit
