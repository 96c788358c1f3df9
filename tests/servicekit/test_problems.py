"""Problem catalogues: kinds belong to the server that declares them, at import, never while
serving; the middleware answers unusual HTTP statuses without declaring anything."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

import mock_intune.problems
import mock_issuers.kinds
import mock_issuers.purebred.kinds
import mock_rp.problems
from servicekit.problems import (
    GENERIC,
    BadRequest,
    HttpStatusProblem,
    NotFound,
    Problem,
    ProblemCatalog,
    problem_middleware,
)
from trust_store.problems import PROBLEM_JSON, TYPE_BASE, parse_problem

ClientFactory = Callable[[web.Application], Any]

CATALOGUES = [
    GENERIC,
    mock_issuers.kinds.KINDS,
    mock_issuers.purebred.kinds.KINDS,
    mock_intune.problems.KINDS,
    mock_rp.problems.KINDS,
]


def _snapshot() -> list[dict[str, type[Problem]]]:
    return [c.kinds() for c in CATALOGUES]


def _raising(error: type[web.HTTPException]) -> web.Application:
    async def handler(_: web.Request) -> web.Response:
        raise error(text="refused here")

    app = web.Application(middlewares=[problem_middleware])
    app.router.add_get("/x", handler)
    return app


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (web.HTTPLengthRequired, 411),
        (web.HTTPRequestURITooLong, 414),
        (web.HTTPRequestHeaderFieldsTooLarge, 431),
        (web.HTTPNotImplemented, 501),
    ],
)
async def test_an_unusual_status_is_answered_without_declaring_a_kind(
    aiohttp_client: ClientFactory, error: type[web.HTTPException], status: int
) -> None:
    before = _snapshot()
    client: TestClient[Any, Any] = await aiohttp_client(_raising(error))
    for _ in range(2):
        async with client.get("/x") as r:
            assert r.status == status and r.content_type == PROBLEM_JSON
            doc = await r.json()
    assert doc["type"] == f"{TYPE_BASE}http-{status}"
    assert doc["status"] == status and doc["detail"] == "refused here" and doc["title"]
    assert _snapshot() == before
    assert all(f"http-{status}" not in c for c in CATALOGUES)


async def test_a_mapped_status_is_answered_with_the_generic_kind(
    aiohttp_client: ClientFactory,
) -> None:
    client: TestClient[Any, Any] = await aiohttp_client(_raising(web.HTTPNotFound))
    async with client.get("/x") as r:
        remote = parse_problem(r.status, r.content_type, await r.read())
    assert (remote.status, remote.kind) == (404, "not-found")


def test_an_http_status_problem_lives_on_its_instance() -> None:
    p = HttpStatusProblem(431, "Request Header Fields Too Large", "too many headers")
    assert (p.kind, p.status, p.title) == ("http-431", 431, "Request Header Fields Too Large")
    assert (Problem.kind, Problem.status) == ("internal", 500)
    assert p.to_json()["type"] == TYPE_BASE + "http-431"


def test_two_catalogues_may_declare_one_kind_with_different_titles() -> None:
    a, b = ProblemCatalog("a", GENERIC), ProblemCatalog("b", GENERIC)
    in_a = a.declare("seat-taken", 409, "Seat taken")
    in_b = b.declare("seat-taken", 423, "The seat is somebody else's")
    assert in_a is not in_b
    assert (a["seat-taken"].status, b["seat-taken"].status) == (409, 423)
    assert "seat-taken" not in GENERIC


def test_the_issuers_and_the_relying_party_each_own_credential_revoked() -> None:
    issuers, rp = mock_issuers.kinds.KINDS, mock_rp.problems.KINDS
    assert issuers["credential-revoked"] is mock_issuers.kinds.CredentialRevoked
    assert rp["credential-revoked"] is mock_rp.problems.CredentialRevoked
    assert issuers["credential-revoked"] is not rp["credential-revoked"]
    assert "card-revoked" not in rp and "client-certificate-required" not in issuers


def test_one_kind_declared_twice_differently_in_one_catalogue_raises() -> None:
    c = ProblemCatalog("c", GENERIC)
    first = c.declare("seat-taken", 409, "Seat taken")
    assert c.declare("seat-taken", 409, "Seat taken") is first
    with pytest.raises(ValueError, match="declared twice differently"):
        c.declare("seat-taken", 409, "Seat already taken")
    with pytest.raises(ValueError, match="declared twice differently"):
        c.declare("seat-taken", 410, "Seat taken")
    assert c["seat-taken"] is first


def test_a_base_kind_cannot_be_declared_again_differently() -> None:
    c = ProblemCatalog("c", GENERIC)
    assert c.declare("not-found", 404, "Not found") is NotFound
    with pytest.raises(ValueError, match="declared twice differently"):
        c.declare("malformed", 422, "Unprocessable")
    assert c["malformed"] is BadRequest


@pytest.mark.parametrize(
    ("kind", "status"),
    [("http-418", 418), ("Seat", 409), ("seat_taken", 409), ("", 409), ("ok", 200), ("x", 600)],
)
def test_a_catalogue_refuses_malformed_declarations(kind: str, status: int) -> None:
    with pytest.raises(ValueError):
        ProblemCatalog("c").declare(kind, status, "title")


def test_lookups_see_through_to_the_bases() -> None:
    purebred = mock_issuers.purebred.kinds.KINDS
    assert purebred["otp-used"].status == 409
    assert purebred["card-required"] is mock_issuers.kinds.CardRequired
    assert purebred["malformed"] is BadRequest and purebred["internal"] is Problem
    assert purebred.get("otp-unknown") is None and "otp-used" not in mock_issuers.kinds.KINDS
    with pytest.raises(KeyError, match=r"mock_issuers\.purebred declares no problem kind"):
        purebred["otp-unknown"]
    assert set(GENERIC) <= set(purebred) and len(purebred) == len(purebred.kinds())


def test_a_declared_kind_answers_its_document() -> None:
    doc = mock_intune.problems.IssuerImmutable("no", field="issuer").to_json("/beta/x")
    assert doc == {
        "type": TYPE_BASE + "issuer-immutable",
        "title": "The derived-credential issuer is immutable",
        "status": 400,
        "detail": "no",
        "instance": "/beta/x",
        "field": "issuer",
    }


def test_busy_answers_say_when_to_come_back() -> None:
    """503 and 429 carry Retry-After (RFC 9110 §10.2.3), fault plans' included."""
    from servicekit.problems import FaultInjected, TooManyRequests, Unavailable

    for cls in (FaultInjected, TooManyRequests, Unavailable):
        assert cls("busy").response().headers["Retry-After"] == "1"
    kept = Unavailable("busy").response(headers={"Retry-After": "30"})
    assert kept.headers["Retry-After"] == "30"
