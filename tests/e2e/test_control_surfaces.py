"""Every control surface requires its token: a running lab's servers are walked route by route,
from each server's own OpenAPI document (`GET /openapi.json`), and every operation under `/admin`
(the lab's admin token) and `/beta` (a Graph token from the client-credentials grant) answers 401
without its token, with a wrong one and with the other surface's token, in that surface's error
shape; with its token it gets past the guard. The protocol surfaces (OCSP, CRL, portal, device,
EST, the token endpoint, the documents themselves) stay public: no guard of these tokens answers
there. A second test proves the documents list every `/admin` and `/beta` route the servers
serve, so the walk misses none."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from lab.world import Lab
from mock_intune import ServerSettings, create_app
from mock_issuers import card_authority, issuer_app, purebred
from mock_issuers.purebred import PurebredSettings
from mock_issuers.settings import CardAuthoritySettings, IssuerSettings
from mock_rp import RpSettings
from mock_rp import create_app as create_rp_app
from servicekit.webapp import SERVER_STATE, secured_document
from trust_store import tls
from trust_store.clock import ManualClock
from trust_store.labpki import LabPKI
from trust_store.problems import PROBLEM_JSON, TYPE_BASE
from trust_store.randomness import Randomness

#: What a path parameter is replaced by (a UUID, so that routes that parse one get that far).
PARAMETER = "00000000-0000-4000-8000-000000000000"
WRONG = "wrong-token-" + "x" * 32
WITH_BODY = ("post", "put", "patch")


@dataclass(frozen=True)
class Operation:
    server: str
    base: str
    method: str
    path: str

    @property
    def url(self) -> str:
        return self.base + re.sub(r"\{[^}]+\}", PARAMETER, self.path)

    @property
    def surface(self) -> str:
        """`admin`, `graph` or `public`."""
        if _under(self.path, "/admin"):
            return "admin"
        if _under(self.path, "/beta"):
            return "graph"
        return "public"

    def __str__(self) -> str:
        return f"{self.server}: {self.method.upper()} {self.path}"


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _servers(lab: Lab) -> dict[str, str]:
    """Every listener of the lab, by name."""
    s = lab.servers
    urls = {"card-authority": s.card_authority_url, "intune": s.intune_url, "rp": s.rp_url}
    for name in s.issuers:
        urls[name] = s.portal_urls[name]
        if s.issuer_urls[name] != s.portal_urls[name]:
            urls[f"{name}-device"] = s.issuer_urls[name]
    return urls


def _operations(server: str, base: str, doc: dict[str, Any]) -> Iterator[Operation]:
    for path, ops in doc["paths"].items():
        for method in ops:
            yield Operation(server, base, method, path)


@dataclass
class Answer:
    status: int
    content_type: str
    challenge: str
    body: Any


async def _send(http: aiohttp.ClientSession, op: Operation, token: str | None) -> Answer:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    kw: dict[str, Any] = {"json": {}} if op.method in WITH_BODY else {}
    async with http.request(op.method.upper(), op.url, headers=headers, **kw) as resp:
        raw = await resp.read()
        body: Any = None
        if resp.content_type in (PROBLEM_JSON, "application/json") and raw:
            body = await resp.json(content_type=None)
        return Answer(
            resp.status, resp.content_type, resp.headers.get("WWW-Authenticate", ""), body
        )


def _refusal_problems(op: Operation, answer: Answer, token_sent: bool) -> list[str]:
    """What is wrong with `answer` as this surface's 401 (empty: nothing)."""
    wrong: list[str] = []
    if answer.status != 401:
        return [f"{op} answered {answer.status}, not 401"]
    if not answer.challenge.startswith("Bearer"):
        wrong.append(f"{op}: WWW-Authenticate {answer.challenge!r}")
    if token_sent and 'error="invalid_token"' not in answer.challenge:
        wrong.append(f"{op}: a rejected token is not named invalid_token: {answer.challenge!r}")
    if op.surface == "admin":
        ok = (
            answer.content_type == PROBLEM_JSON
            and answer.body["type"] == TYPE_BASE + "unauthorized"
            and answer.body["status"] == 401
        )
    else:
        error = (answer.body or {}).get("error", {})
        inner = error.get("innerError", {})
        ok = (
            answer.content_type == "application/json"
            and error.get("code") == "InvalidAuthenticationToken"
            and bool(error.get("message"))
            and inner.get("code") in ("unauthorized", "invalid-token")
            and bool(inner.get("request-id"))
            and bool(inner.get("date"))
        )
    if not ok:
        wrong.append(f"{op}: not the surface's error shape: {answer.content_type} {answer.body}")
    return wrong


async def test_every_admin_and_graph_route_needs_its_token(clock: ManualClock) -> None:
    async with Lab.start(clock=clock, seed=5) as lab:
        graph_token = await lab.admin.access_token()
        tokens = {"admin": lab.admin_token, "graph": graph_token}
        ctx = tls.client_context([lab.pki.tls_root.cert])
        wrong: list[str] = []
        walked = {"admin": 0, "graph": 0, "public": 0}
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as http:
            for server, base in _servers(lab).items():
                async with http.get(f"{base}/openapi.json") as resp:
                    assert resp.status == 200, server
                    doc = await resp.json()
                for op in _operations(server, base, doc):
                    walked[op.surface] += 1
                    if op.surface == "public":
                        answer = await _send(http, op, None)
                        if "dcemu-admin" in answer.challenge or "dcemu-graph" in answer.challenge:
                            wrong.append(f"{op}: a protocol surface asks for a lab token")
                        continue
                    own = tokens[op.surface]
                    other = tokens["graph" if op.surface == "admin" else "admin"]
                    wrong += _refusal_problems(op, await _send(http, op, None), False)
                    wrong += _refusal_problems(op, await _send(http, op, WRONG), True)
                    wrong += _refusal_problems(op, await _send(http, op, other), True)
                    if (await _send(http, op, own)).status == 401:
                        wrong.append(f"{op}: refused with its own token")
    assert wrong == []
    # The walk met every surface (7 listeners: 5 shared admin routes each, plus their own).
    assert walked["admin"] >= 7 * 5 and walked["graph"] >= 13 and walked["public"] > 0


async def test_an_expired_graph_token_is_refused_on_the_lab_clock(clock: ManualClock) -> None:
    async with Lab.start(issuers=("entrust",), clock=clock) as lab:
        token = await lab.admin.access_token()
        ctx = tls.client_context([lab.pki.tls_root.cert])
        url = f"{lab.servers.intune_url}/beta/deviceManagement/derivedCredentials"
        auth = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as http:
            async with http.get(url, headers=auth) as resp:
                assert resp.status == 200
            lab.clock.advance(dt.timedelta(seconds=3599))
            async with http.get(url, headers=auth) as resp:
                assert resp.status == 401
                assert 'error="invalid_token"' in resp.headers["WWW-Authenticate"]
                error = (await resp.json())["error"]
        assert error["code"] == "InvalidAuthenticationToken"
        assert error["innerError"]["code"] == "invalid-token" and "expired" in error["message"]
        # The administrator notices on the same clock and gets a new token.
        await lab.configure_tenant("entrust", families=("ios",))


# --- the documents list every protected route ---------------------------------------------------


def _served(app: web.Application) -> set[tuple[str, str]]:
    """(method, path) of every route of `app` and its sub-applications (no HEAD)."""
    out: set[tuple[str, str]] = set()
    for resource in app.router.resources():
        sub = getattr(resource, "_app", None)
        if isinstance(sub, web.Application):
            out |= _served(sub)  # its resources' canonical paths carry the prefix already
            continue
        out |= {(r.method, resource.canonical) for r in resource if r.method != "HEAD"}
    return out


def _apps(pki: LabPKI, clock: ManualClock, rand: Randomness) -> dict[str, web.Application]:
    pb = purebred.create_apps(PurebredSettings(), pki, clock, rand.child("purebred"))
    return {
        "card-authority": card_authority.create_app(CardAuthoritySettings(), pki, clock, rand),
        **{
            name: issuer_app.create_app(name, IssuerSettings(), pki, clock, rand)
            for name in ("entrust", "intercede")
        },
        "purebred": pb.console,
        "purebred-device": pb.device,
        "intune": create_app(ServerSettings(), clock, rand),
        "rp": create_rp_app(RpSettings(), pki, clock, rand),
    }


def test_every_admin_and_graph_route_is_in_its_servers_document(
    pki: LabPKI, clock: ManualClock, rand: Randomness
) -> None:
    for name, app in _apps(pki, clock, rand).items():
        doc = secured_document(app[SERVER_STATE].openapi)
        listed = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
        protected = {(m, p) for m, p in _served(app) if _under(p, "/admin") or _under(p, "/beta")}
        assert protected, name
        assert protected <= listed, (name, sorted(protected - listed))
        for method, path in protected:
            op = doc["paths"][path][method.lower()]
            scheme = "adminToken" if _under(path, "/admin") else "graphClientCredentials"
            assert scheme in op["security"][0] and "401" in op["responses"], (name, path)
