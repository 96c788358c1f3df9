"""What every mock server shares: the problem middleware, body limits, request history, fault
plans (pebble-style chaos switched by settings), the admin sub-application and OpenAPI serving.

Servers build their `web.Application` with `base_app(...)`, add their routes, and mount
`admin_app(...)` under `/admin/`.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import web

from .clock import Clock, isoformat
from .problems import BadRequest, Problem, problem_middleware, problem_type, read_json
from .randomness import Randomness

DEFAULT_BODY_LIMIT = 64 * 1024

FaultInjected = problem_type("fault-injected", 503, "Fault injected")


@dataclass
class FaultPlan:
    """Deliberate misbehaviour, off by default. `error_rate` and `drop_rate` are 0..1."""

    latency_ms: int = 0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    #: Only requests whose path starts with one of these are affected (all when empty).
    paths: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> FaultPlan:
        plan = cls(
            latency_ms=int(d.get("latencyMs", 0)),
            error_rate=float(d.get("errorRate", 0.0)),
            drop_rate=float(d.get("dropRate", 0.0)),
            paths=[str(p) for p in d.get("paths", [])],
        )
        if plan.latency_ms < 0 or not (0 <= plan.error_rate <= 1) or not (0 <= plan.drop_rate <= 1):
            raise ValueError("latencyMs must be >= 0 and rates within 0..1")
        return plan

    def to_json(self) -> dict[str, Any]:
        return {
            "latencyMs": self.latency_ms,
            "errorRate": self.error_rate,
            "dropRate": self.drop_rate,
            "paths": self.paths,
        }

    def applies(self, path: str) -> bool:
        return not path.startswith("/admin/") and (
            not self.paths or any(path.startswith(p) for p in self.paths)
        )


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

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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
        plan = state.faults
        if plan.applies(request.path):
            if plan.latency_ms:
                # Fault latency is the one real wait in the lab: it exists to slow real clients.
                await asyncio.sleep(plan.latency_ms / 1000)
            if plan.drop_rate and state.rand.token_bytes(1)[0] < plan.drop_rate * 256:
                if request.transport is not None:
                    request.transport.close()
                raise FaultInjected("connection dropped by fault plan")
            if plan.error_rate and state.rand.token_bytes(1)[0] < plan.error_rate * 256:
                raise FaultInjected("request rejected by fault plan", retryable=True)
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
        except (TypeError, ValueError) as e:
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


def require(cond: bool, problem: type[Problem], detail: str) -> None:
    """Raise `problem(detail)` unless `cond` holds (for short field checks in handlers)."""
    if not cond:
        raise problem(detail)


def utcnow_iso(clock: Clock, plus: dt.timedelta = dt.timedelta(0)) -> str:
    return isoformat(clock.now() + plus)
