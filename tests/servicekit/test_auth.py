"""The admin token: one middleware of the server kit guards every path under `/admin` (the
shared sub-app's and a server's own), each server's settings read `DCEMU_ADMIN_TOKEN` through
`EnvReader`, and a server given none makes one up from its seeded randomness."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from lab.settings import LabSettings, LabSettingsError
from mock_intune import ServerSettings as IntuneSettings
from mock_issuers.purebred import PurebredSettings
from mock_issuers.settings import CardAuthoritySettings, IssuerSettings
from mock_rp import RpSettings
from servicekit.auth import ADMIN_TOKEN_ENV, admin_token_from
from servicekit.env import EnvReader, SettingsError
from servicekit.webapp import SERVER_STATE, ServerState, base_app, secured_document
from trust_store.clock import ManualClock
from trust_store.problems import PROBLEM_JSON
from trust_store.randomness import Randomness

TOKEN = "lab-admin-token-0123456789"


def _app(token: str | None = TOKEN, seed: int | None = 1) -> web.Application:
    state = ServerState("kit", ManualClock(), Randomness(seed), admin_token=token)
    app = base_app(state)

    async def own(_: web.Request) -> web.Response:
        return web.json_response({"own": True})

    async def public(_: web.Request) -> web.Response:
        return web.json_response({"public": True})

    app.router.add_post("/admin/cards", own)  # a server's own lab control, on the main app
    app.router.add_get("/adminx", public)  # a sibling path, not under /admin
    return app


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/history"),
        ("GET", "/admin/time"),
        ("PUT", "/admin/faults"),
        ("POST", "/admin/reset"),
        ("HEAD", "/admin/history"),
        ("POST", "/admin/cards"),
        ("GET", "/admin"),
        ("GET", "/admin/no-such-route"),
    ],
)
@pytest.mark.parametrize("header", [None, "Bearer", f"Basic {TOKEN}", "Bearer wrong-token-value"])
async def test_every_admin_path_needs_the_token(
    aiohttp_client: Any, method: str, path: str, header: str | None
) -> None:
    client = await aiohttp_client(_app())
    headers = {"Authorization": header} if header else {}
    async with client.request(method, path, headers=headers, json={}) as r:
        assert r.status == 401
        challenge = r.headers["WWW-Authenticate"]
        assert challenge.startswith('Bearer realm="dcemu-admin"')
        assert ('error="invalid_token"' in challenge) is (header == "Bearer wrong-token-value")
        if method != "HEAD":
            assert r.content_type == PROBLEM_JSON
            doc = await r.json()
            assert doc["type"] == "urn:dcemu:problem:unauthorized" and doc["status"] == 401
            assert TOKEN not in str(doc)


async def test_the_token_opens_the_admin_routes_and_nothing_else_needs_it(
    aiohttp_client: Any,
) -> None:
    client = await aiohttp_client(_app())
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with client.get("/admin/history", headers=auth) as r:
        assert r.status == 200
    async with client.post("/admin/cards", headers=auth) as r:
        assert r.status == 200 and (await r.json()) == {"own": True}
    async with client.get("/admin/no-such-route", headers=auth) as r:
        assert r.status == 404
    for path in ("/adminx", "/openapi.json"):
        async with client.get(path) as r:
            assert r.status == 200, path


def test_a_server_given_no_token_makes_one_up_from_its_seeded_randomness() -> None:
    def made(seed: int | None) -> str:
        token = _app(None, seed)[SERVER_STATE].admin_token
        assert token is not None and len(token) >= 43
        return token

    assert made(1) == made(1) != made(2)
    assert made(None) != made(None)


def test_the_document_marks_every_admin_operation() -> None:
    doc = {"paths": {"/admin/x": {"post": {"responses": {}}}, "/crl": {"get": {}}}}
    secured = secured_document(doc)
    assert secured["paths"]["/admin/x"]["post"]["security"] == [{"adminToken": []}]
    assert "401" in secured["paths"]["/admin/x"]["post"]["responses"]
    assert "security" not in secured["paths"]["/crl"]["get"]
    assert secured["components"]["securitySchemes"]["adminToken"]["scheme"] == "bearer"
    assert doc == {"paths": {"/admin/x": {"post": {"responses": {}}}, "/crl": {"get": {}}}}


READERS = [
    CardAuthoritySettings.from_env,
    lambda env: IssuerSettings.from_env("DCEMU_ENTRUST", env),
    PurebredSettings.from_env,
    IntuneSettings.from_env,
    RpSettings.from_env,
]


@pytest.mark.parametrize("read", READERS)
def test_every_server_reads_the_admin_token_from_the_environment(read: Any) -> None:
    settings = read({ADMIN_TOKEN_ENV: TOKEN})
    assert settings.admin_token == TOKEN and TOKEN not in repr(settings)
    assert read({}).admin_token is None


@pytest.mark.parametrize("bad", ["short", "has spaces but is long enough", "é" * 20, "x" * 513])
def test_a_token_that_cannot_be_a_bearer_token_is_refused(bad: str) -> None:
    with pytest.raises(SettingsError) as e:
        admin_token_from(EnvReader({ADMIN_TOKEN_ENV: bad}))
    assert e.value.name == ADMIN_TOKEN_ENV and bad not in str(e.value)
    with pytest.raises(LabSettingsError, match=ADMIN_TOKEN_ENV):
        LabSettings.from_env({ADMIN_TOKEN_ENV: bad})
    with pytest.raises(SettingsError):
        RpSettings(admin_token=bad)


def test_the_lab_reads_one_admin_token() -> None:
    assert LabSettings.from_env({ADMIN_TOKEN_ENV: TOKEN}).admin_token == TOKEN
    assert LabSettings.from_env({}).admin_token is None
