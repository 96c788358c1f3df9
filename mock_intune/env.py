"""Typed application keys and the per-request view of what a handler needs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from aiohttp import web

from servicekit.webapp import SERVER_STATE
from trust_store.clock import Clock
from trust_store.randomness import Randomness

from .fields import JsonObject
from .model import Tenant
from .settings import ServerSettings

TENANT = web.AppKey("intune_tenant", Tenant)
SETTINGS = web.AppKey("intune_settings", ServerSettings)
#: Where this start's identifiers and tokens come from (`store.boot_randomness`).
RANDOM = web.AppKey("intune_randomness", Randomness)


@dataclass(frozen=True)
class Env:
    tenant: Tenant
    settings: ServerSettings
    clock: Clock
    rand: Randomness

    @classmethod
    def of(cls, request: web.Request) -> Env:
        app = request.app
        state = app[SERVER_STATE]
        return cls(app[TENANT], app[SETTINGS], state.clock, app[RANDOM])

    def now(self) -> dt.datetime:
        return self.clock.now()

    def new_id(self) -> str:
        return str(self.rand.uuid4())


def json(body: JsonObject, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


def no_content() -> web.Response:
    return web.Response(status=204)


def collection(request: web.Request, entity_set: str, items: list[JsonObject]) -> web.Response:
    """An OData collection: `{"@odata.context": ..., "value": [...]}`."""
    context = str(request.url.with_path("/beta/$metadata").with_query(None)) + "#" + entity_set
    return web.json_response({"@odata.context": context, "value": items})
