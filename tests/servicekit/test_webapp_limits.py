"""The base app's answers to requests no route takes: oversized request heads (as far as
aiohttp lets a middleware see them), methods a path does not allow, and the request history,
which records refusals as well as successes."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp import web

from servicekit.webapp import (
    MAX_FIELD_BYTES,
    MAX_HEAD_BYTES,
    MAX_TARGET_BYTES,
    RUNNER_LIMITS,
    ServerState,
    base_app,
)
from trust_store.clock import ManualClock
from trust_store.problems import PROBLEM_JSON, TYPE_BASE
from trust_store.randomness import Randomness


@pytest.fixture
def state() -> ServerState:
    return ServerState("kit", ManualClock(), Randomness(seed=1))


@pytest.fixture
async def client(aiohttp_client: Any, state: ServerState) -> Any:
    app = base_app(state)

    async def hello(_: web.Request) -> web.Response:
        return web.json_response({"hello": True})

    app.router.add_get("/hello", hello)
    app.router.add_post("/hello", hello)
    return await aiohttp_client(app, server_kwargs=RUNNER_LIMITS)


async def _problem(resp: aiohttp.ClientResponse, status: int, kind: str) -> dict[str, Any]:
    assert resp.status == status, await resp.text()
    assert resp.content_type == PROBLEM_JSON
    doc: dict[str, Any] = await resp.json()
    assert doc["type"] == TYPE_BASE + kind and doc["status"] == status
    return doc


async def test_a_long_request_target_is_a_414_problem(client: Any) -> None:
    async with client.get("/hello?q=" + "a" * MAX_TARGET_BYTES) as r:
        await _problem(r, 414, "http-414")
    async with client.get("/" + "p" * (MAX_TARGET_BYTES + 1)) as r:
        await _problem(r, 414, "http-414")
    async with client.get("/hello?q=" + "a" * (MAX_TARGET_BYTES - 100)) as r:
        assert r.status == 200


async def test_a_long_header_field_or_head_is_a_431_problem(client: Any) -> None:
    async with client.get("/hello", headers={"X-Big": "v" * MAX_FIELD_BYTES}) as r:
        await _problem(r, 431, "http-431")
    many = {f"X-Part-{i}": "v" * 2000 for i in range(MAX_HEAD_BYTES // 2000 + 1)}
    async with client.get("/hello", headers=many) as r:
        await _problem(r, 431, "http-431")
    async with client.get("/hello", headers={"X-Fine": "v" * (MAX_FIELD_BYTES - 100)}) as r:
        assert r.status == 200


async def test_past_the_parser_limits_aiohttp_answers_plain_text(client: Any) -> None:
    """What a middleware cannot reach: a line past aiohttp's parser limit is refused by the
    parser with a plain-text 400 before any server code runs (documented in servicekit.webapp).
    It is still a 4xx, and the server goes on serving."""
    too_long = RUNNER_LIMITS["max_line_size"] + 1
    async with client.get("/hello?q=" + "a" * too_long) as r:
        assert r.status == 400 and r.content_type == "text/plain"
    async with client.get("/hello", headers={"X-Big": "v" * too_long}) as r:
        assert r.status == 400 and r.content_type == "text/plain"
    async with client.get("/hello") as r:
        assert r.status == 200


async def test_a_method_not_allowed_carries_allow(client: Any) -> None:
    async with client.delete("/hello") as r:
        await _problem(r, 405, "method-not-allowed")
        assert set(r.headers["Allow"].split(",")) == {"GET", "HEAD", "POST"}
    async with client.put("/openapi.json") as r:
        await _problem(r, 405, "method-not-allowed")
        assert "GET" in r.headers["Allow"]


async def test_history_records_refused_requests(client: Any, state: ServerState) -> None:
    async with client.get("/hello") as r:
        assert r.status == 200
    async with client.get("/nowhere") as r:
        await _problem(r, 404, "not-found")
    async with client.delete("/hello") as r:
        await _problem(r, 405, "method-not-allowed")
    async with client.get("/hello?q=" + "a" * (MAX_TARGET_BYTES + 1)) as r:
        await _problem(r, 414, "http-414")
    recorded = [(h.method, h.path, h.status) for h in state.history]
    assert recorded == [
        ("GET", "/hello", 200),
        ("GET", "/nowhere", 404),
        ("DELETE", "/hello", 405),
        ("GET", "/hello", 414),
    ]


async def test_the_lab_clock_is_never_moved_past_its_last_representable_years(
    aiohttp_client: Any,
) -> None:
    """A clock moved to year 9999 made every later `now + lifetime` overflow (500)."""
    from servicekit.webapp import LATEST_LAB_TIME, SERVER_STATE

    clock = ManualClock()
    state = ServerState("kit", clock, Randomness(seed=1))
    app = base_app(state)
    client = await aiohttp_client(app)
    token = app[SERVER_STATE].admin_token
    auth = {"Authorization": f"Bearer {token}"}
    before = clock.now()
    for body in ({"set": "9999-12-31T23:59:59Z"}, {"set": "9000-01-01T00:00:01Z"}):
        async with client.post("/admin/time", json=body, headers=auth) as r:
            await _problem(r, 400, "malformed")
    assert clock.now() == before
    async with client.post("/admin/time", json={"set": "8999-12-01T00:00:00Z"}, headers=auth) as r:
        assert r.status == 200, await r.text()
    for _ in range(3):
        async with client.post("/admin/time", json={"advance": "P3650D"}, headers=auth) as r:
            await _problem(r, 400, "malformed")
    assert clock.now() < LATEST_LAB_TIME
