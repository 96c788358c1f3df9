"""The storage contract, run over both backends (nanomdm's storage tests are the model)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from servicekit.storage import MemoryStorage, SqliteStorage, Storage, commit_middleware

Reopen = Callable[[], Storage]


@pytest.fixture(params=["memory", "sqlite"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Storage, Reopen]:
    """A storage, and how to get it again as a restarted service would."""
    if request.param == "memory":
        mem = MemoryStorage()
        return mem, lambda: mem
    path = tmp_path / "svc.sqlite3"
    return SqliteStorage(path), lambda: SqliteStorage(path)


def test_put_get_load_delete_and_reopen(backend: tuple[Storage, Reopen]) -> None:
    store, reopen = backend
    store.put("cards", "a", {"name": "Alice", "n": 1})
    store.put("cards", "b", {"name": "Bob"})
    store.put("cards", "a", {"name": "Alice", "n": 2})  # replaced, not added
    store.put("crl", "number", {"value": 7})
    store.delete("cards", "b")
    store.commit()
    again = reopen()
    assert again.load("cards") == {"a": {"name": "Alice", "n": 2}}
    assert again.get("crl", "number") == {"value": 7}
    assert again.get("cards", "b") is None and again.load("nothing") == {}
    again.clear("cards")
    again.commit()
    assert reopen().load("cards") == {} and reopen().get("crl", "number") == {"value": 7}


def test_sqlite_file_is_private_and_uncommitted_writes_do_not_survive(tmp_path: Path) -> None:
    path = tmp_path / "svc.sqlite3"
    store = SqliteStorage(path)
    store.put("cards", "a", {"name": "Alice"})
    store.commit()
    assert path.stat().st_mode & 0o777 == 0o600
    # A process that writes without committing and is killed leaves the last commit intact.
    code = (
        "import os, sys; from pathlib import Path; from servicekit.storage import SqliteStorage;"
        f"s = SqliteStorage(Path({str(path)!r})); s.put('cards', 'b', {{'name': 'Bob'}});"
        "os.kill(os.getpid(), 9)"
    )
    subprocess.run([sys.executable, "-c", code], check=False, cwd=Path(__file__).parents[2])
    assert SqliteStorage(path).load("cards") == {"a": {"name": "Alice"}}


async def test_a_request_is_committed_before_its_answer(
    backend: tuple[Storage, Reopen], aiohttp_client: Callable[..., object]
) -> None:
    store, reopen = backend

    async def handler(request: web.Request) -> web.Response:
        store.put("things", request.match_info["k"], {"ok": True})
        return web.json_response({"stored": True})

    app = web.Application(middlewares=[commit_middleware(store)])
    app.router.add_post("/things/{k}", handler)
    client = await aiohttp_client(app)  # type: ignore[operator]
    assert isinstance(client, TestClient)
    async with client.post("/things/x") as resp:
        assert resp.status == 200
        # Answered: another connection to the same database already sees it.
        assert reopen().get("things", "x") == {"ok": True}
