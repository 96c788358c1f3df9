"""The base application every mock server builds on: the problem middleware, body limits,
request history, fault plans, the admin sub-application and OpenAPI serving.

Servers build their `web.Application` with `base_app(state, body_limit)` and add their routes;
`base_app` mounts `admin_app(state)` under `/admin/` and serves `state.openapi` at
`/openapi.json`.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import web

from trust_store.clock import Clock, isoformat
from trust_store.randomness import Randomness

from .env import EnvReader
from .faults import FaultPlan
from .problems import BadRequest, Handler, problem_middleware, read_json

DEFAULT_BODY_LIMIT = 64 * 1024
#: Bounds of a server's body limit when it comes from the environment.
MIN_BODY_LIMIT = 1024
MAX_BODY_LIMIT = 64 * 1024 * 1024

__all__ = [
    "DEFAULT_BODY_LIMIT",
    "MAX_BODY_LIMIT",
    "MIN_BODY_LIMIT",
    "SERVER_STATE",
    "FaultPlan",
    "Handler",
    "HistoryEntry",
    "ServerState",
    "admin_app",
    "base_app",
    "body_limit_from",
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


SERVER_STATE = web.AppKey("server_state", ServerState)


def _history_middleware(state: ServerState) -> Any:
    @web.middleware
    async def history(request: web.Request, handler: Handler) -> web.StreamResponse:
        resp = await handler(request)
        if not request.path.startswith("/admin/"):
            ssl_obj = request.transport.get_extra_info("ssl_object") if request.transport else None
            has_cert = bool(ssl_obj and ssl_obj.getpeercert(binary_form=True))
            state.history.append(
                HistoryEntry(
                    isoformat(state.clock.now()),
                    request.method,
                    request.path,
                    resp.status,
                    has_cert,
                )
            )
        return resp

    return history


def _fault_middleware(state: ServerState) -> Any:
    @web.middleware
    async def faults(request: web.Request, handler: Handler) -> web.StreamResponse:
        await state.faults.apply(request, state.rand)
        return await handler(request)

    return faults


def base_app(state: ServerState, body_limit: int = DEFAULT_BODY_LIMIT) -> web.Application:
    app = web.Application(
        client_max_size=body_limit,
        middlewares=[problem_middleware, _history_middleware(state), _fault_middleware(state)],
    )
    app[SERVER_STATE] = state
    app.router.add_get("/openapi.json", _openapi)
    app.add_subapp("/admin/", admin_app(state))
    return app


async def _openapi(request: web.Request) -> web.Response:
    return web.json_response(request.app[SERVER_STATE].openapi)


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

    admin.router.add_get("/history", history)
    admin.router.add_get("/faults", get_faults)
    admin.router.add_put("/faults", put_faults)
    admin.router.add_post("/reset", reset)
    admin.router.add_get("/time", time)
    return admin
