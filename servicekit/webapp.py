"""The base application every mock server builds on: the problem middleware, body and header
limits, request history, fault plans, the admin sub-application and OpenAPI serving.

Servers build their `web.Application` with `base_app(state, body_limit)` and add their routes;
`base_app` mounts `admin_app(state)` under `/admin/` and serves `state.openapi` at
`/openapi.json`. Whoever runs the app passes `RUNNER_LIMITS` to its `web.AppRunner`.

Limits on the request head. aiohttp's HTTP parser refuses a request line longer than
`max_line_size` or a header longer than `max_field_size` (both 8190 bytes by default) before any
middleware runs: it answers a plain-text 400 and closes the connection, and no server code can
make that a problem document. So the servers' own limits sit below the parser's:
a request target over `MAX_TARGET_BYTES` is answered 414 (`http-414`), a header field over
`MAX_FIELD_BYTES` or a header block over `MAX_HEAD_BYTES` 431 (`http-431`), as problem
documents; `RUNNER_LIMITS` raises the parser's limits to leave room for those answers. Only
heads past the parser's limits (16 KiB per line with `RUNNER_LIMITS`) get aiohttp's own 400.
"""

from __future__ import annotations

import collections
import copy
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TypedDict

from aiohttp import web

from trust_store.clock import Clock, MovableClock, isoformat, parse_duration, parse_iso
from trust_store.randomness import Randomness

from .auth import ADMIN_PREFIX, Middleware, admin_guard, is_under, new_secret
from .env import EnvReader
from .faults import FaultPlan
from .openapi import absolute_flow_urls, declare_path_parameters
from .problems import BadRequest, Conflict, Handler, problem_middleware, read_json

DEFAULT_BODY_LIMIT = 64 * 1024
#: Bounds of a server's body limit when it comes from the environment.
MIN_BODY_LIMIT = 1024
MAX_BODY_LIMIT = 64 * 1024 * 1024

#: The lab clock is never moved past this: lifetimes (sessions, certificates, OCSP answers,
#: centuries of re-keys) are added to it, and a time past year 9999 cannot be represented.
LATEST_LAB_TIME = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)
#: The request target (path and query) the servers answer; longer: 414 problem.
MAX_TARGET_BYTES = 4096
#: One header field (name and value); longer: 431 problem.
MAX_FIELD_BYTES = 4096
#: Every header field together; more: 431 problem.
MAX_HEAD_BYTES = 32 * 1024


class RunnerLimits(TypedDict):
    """Keyword arguments of `web.AppRunner` (its request handler's HTTP parser limits)."""

    max_line_size: int
    max_field_size: int


#: `web.AppRunner(app, **RUNNER_LIMITS)`: aiohttp's parser limits, above the servers' own, so
#: that heads between the two are answered as problem documents rather than plain text.
RUNNER_LIMITS = RunnerLimits(max_line_size=16 * 1024, max_field_size=16 * 1024)

__all__ = [
    "DEFAULT_BODY_LIMIT",
    "MAX_BODY_LIMIT",
    "MAX_FIELD_BYTES",
    "MAX_HEAD_BYTES",
    "MAX_TARGET_BYTES",
    "MIN_BODY_LIMIT",
    "RUNNER_LIMITS",
    "SERVER_STATE",
    "FaultPlan",
    "Handler",
    "HistoryEntry",
    "RunnerLimits",
    "ServerState",
    "admin_app",
    "base_app",
    "body_limit_from",
    "secured_document",
]


def body_limit_from(env: EnvReader, name: str) -> int:
    """A server's body limit in bytes from the environment (64 KiB when unset)."""
    return env.integer(name, DEFAULT_BODY_LIMIT, minimum=MIN_BODY_LIMIT, maximum=MAX_BODY_LIMIT)


@dataclass
class HistoryEntry:
    at: str
    method: str
    path: str
    status: int
    client_cert: bool


@dataclass
class ServerState:
    """Per-server knobs and records shared by the middlewares and the admin sub-app."""

    name: str
    clock: Clock
    rand: Randomness
    faults: FaultPlan = field(default_factory=FaultPlan)
    history: collections.deque[HistoryEntry] = field(
        default_factory=lambda: collections.deque(maxlen=1000)
    )
    reset_hooks: list[Callable[[], None]] = field(default_factory=list)
    openapi: dict[str, Any] = field(default_factory=dict)
    #: The secret every `/admin` request must bear; `base_app` makes one up from `rand` when
    #: none is given (the lab always gives its own).
    admin_token: str | None = field(default=None, repr=False)


SERVER_STATE = web.AppKey("server_state", ServerState)


def _history_middleware(state: ServerState) -> Any:
    """Record every request outside `/admin/`, answered or refused (it runs outside the problem
    middleware, so a refusal is recorded with its problem's status)."""

    @web.middleware
    async def history(request: web.Request, handler: Handler) -> web.StreamResponse:
        status = 500
        try:
            resp = await handler(request)
            status = resp.status
            return resp
        except web.HTTPException as e:  # only redirects get past the problem middleware
            status = e.status
            raise
        finally:
            if not request.path.startswith("/admin/"):
                _record(state, request, status)

    return history


def _record(state: ServerState, request: web.Request, status: int) -> None:
    ssl_obj = request.transport.get_extra_info("ssl_object") if request.transport else None
    has_cert = bool(ssl_obj and ssl_obj.getpeercert(binary_form=True))
    state.history.append(
        HistoryEntry(isoformat(state.clock.now()), request.method, request.path, status, has_cert)
    )


@web.middleware
async def _head_limits(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse oversized request targets (414) and header fields (431) with problem documents
    (the limits of the module docstring)."""
    target = len(request.raw_path.encode("utf-8", "surrogateescape"))
    if target > MAX_TARGET_BYTES:
        raise web.HTTPRequestURITooLong(
            text=f"the request target is {target} bytes; at most {MAX_TARGET_BYTES} are answered"
        )
    total = 0
    for name, value in request.raw_headers:
        size = len(name) + len(value)
        total += size
        if size > MAX_FIELD_BYTES:
            raise web.HTTPRequestHeaderFieldsTooLarge(
                text=f"header {name[:64].decode('latin-1')!r} is {size} bytes; "
                f"at most {MAX_FIELD_BYTES} are answered"
            )
    if total > MAX_HEAD_BYTES:
        raise web.HTTPRequestHeaderFieldsTooLarge(
            text=f"the headers are {total} bytes together; at most {MAX_HEAD_BYTES} are answered"
        )
    return await handler(request)


def _fault_middleware(state: ServerState) -> Any:
    @web.middleware
    async def faults(request: web.Request, handler: Handler) -> web.StreamResponse:
        await state.faults.apply(request, state.rand)
        return await handler(request)

    return faults


def base_app(
    state: ServerState,
    body_limit: int = DEFAULT_BODY_LIMIT,
    *,
    outer: Sequence[Middleware] = (),
    guards: Sequence[Middleware] = (),
) -> web.Application:
    """A server's application. `outer` middlewares wrap everything, answers included (mock
    Intune's Graph error shape); the admin token is required under `/admin`; the server's own
    `guards` (authentication of its other surfaces) run last, just around its routes."""
    if state.admin_token is None:
        state.admin_token = new_secret(state.rand.child("admin-token"))
    app = web.Application(
        client_max_size=body_limit,
        middlewares=[
            *outer,
            _history_middleware(state),
            problem_middleware,
            _head_limits,
            admin_guard(state.admin_token),
            _fault_middleware(state),
            *guards,
        ],
    )
    app[SERVER_STATE] = state
    app.router.add_get("/openapi.json", _openapi)
    app.add_subapp("/admin/", admin_app(state))
    return app


async def _openapi(request: web.Request) -> web.Response:
    served = secured_document(request.app[SERVER_STATE].openapi)
    served = absolute_flow_urls(served, str(request.url.origin()))
    return web.json_response(declare_path_parameters(served))


#: The security scheme of the lab controls in every server's OpenAPI document.
ADMIN_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "the lab's admin token (each server's `admin_token` setting, DCEMU_ADMIN_TOKEN)",
}
_UNAUTHORIZED = {
    "description": "unauthorized: no admin token, or not this lab's (WWW-Authenticate: Bearer)",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


def secured_document(doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` with every operation under `/admin` needing the `adminToken` bearer scheme and
    listing its 401 answer (a copy; `doc` is left as it is)."""
    out = copy.deepcopy(doc)
    for path, ops in out.get("paths", {}).items():
        if not is_under(path, ADMIN_PREFIX):
            continue
        for op in ops.values():
            op["security"] = [{"adminToken": []}]
            op.setdefault("responses", {}).setdefault("401", _UNAUTHORIZED)
    components = out.setdefault("components", {})
    components.setdefault("securitySchemes", {})["adminToken"] = ADMIN_SCHEME
    return out


def admin_app(state: ServerState) -> web.Application:
    admin = web.Application(middlewares=[problem_middleware])
    admin[SERVER_STATE] = state

    async def history(_: web.Request) -> web.Response:
        return web.json_response({"requests": [asdict(h) for h in state.history]})

    async def get_faults(_: web.Request) -> web.Response:
        return web.json_response(state.faults.to_json())

    async def put_faults(request: web.Request) -> web.Response:
        body = await read_json(request)
        try:
            state.faults = FaultPlan.from_json(body)
        except (TypeError, ValueError, OverflowError) as e:
            raise BadRequest(str(e)) from e
        return web.json_response(state.faults.to_json())

    async def reset(_: web.Request) -> web.Response:
        state.faults = FaultPlan()
        state.history.clear()
        for hook in state.reset_hooks:
            hook()
        return web.Response(status=204)

    async def time(_: web.Request) -> web.Response:
        return web.json_response({"now": isoformat(state.clock.now())})

    async def move_time(request: web.Request) -> web.Response:
        """Move the lab clock (the one clock every service of the lab shares)."""
        body = await read_json(request)
        clock = state.clock
        if not isinstance(clock, MovableClock):
            raise Conflict("this service's clock follows another one and cannot be moved here")
        if set(body) == {"advance"} and isinstance(body["advance"], str):
            try:
                delta = parse_duration(body["advance"])
            except ValueError as e:
                raise BadRequest(str(e)) from e
            if delta > LATEST_LAB_TIME - clock.now():
                raise BadRequest(f"advance: the lab clock stays before {LATEST_LAB_TIME.year}")
            clock.advance(delta)
        elif set(body) == {"set"} and isinstance(body["set"], str):
            try:
                instant = parse_iso(body["set"])
            except (ValueError, OverflowError) as e:
                raise BadRequest(f"set: not an RFC 3339 time with an offset: {e}") from e
            if instant < clock.now():
                raise BadRequest("set: the lab clock does not go backwards")
            if instant > LATEST_LAB_TIME:
                raise BadRequest(f"set: the lab clock stays before {LATEST_LAB_TIME.year}")
            clock.set(instant)
        else:
            raise BadRequest('give {"advance": "<ISO 8601 duration>"} or {"set": "<RFC 3339>"}')
        return web.json_response({"now": isoformat(clock.now())})

    admin.router.add_get("/history", history)
    admin.router.add_get("/faults", get_faults)
    admin.router.add_put("/faults", put_faults)
    admin.router.add_post("/reset", reset)
    admin.router.add_get("/time", time)
    admin.router.add_post("/time", move_time)
    return admin
