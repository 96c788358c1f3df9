"""The app factory: `create_app(settings, clock, rand)`. Transport-agnostic; the lab serves it
over HTTPS with a certificate from the lab TLS root."""

from __future__ import annotations

from aiohttp import web

from servicekit.webapp import ServerState, base_app
from trust_store.clock import Clock
from trust_store.randomness import Randomness

from . import admin_routes, device_routes, graph_directory, graph_routes
from .env import SETTINGS, TENANT
from .model import Tenant
from .openapi import document, register
from .schemas import schemas
from .settings import ServerSettings

VERSION = "0.1.0"

ROUTES = [
    *graph_routes.ROUTES,
    *graph_directory.ROUTES,
    *device_routes.ROUTES,
    *admin_routes.ROUTES,
]


def create_app(
    settings: ServerSettings, clock: Clock, rand: Randomness, *, tenant: Tenant | None = None
) -> web.Application:
    """A mock Intune tenant server. `app[TENANT]` is the tenant state (for in-process labs);
    `POST /admin/reset` empties it."""
    tenant = tenant if tenant is not None else Tenant()
    state = ServerState(settings.name, clock, rand)
    state.reset_hooks.append(tenant.reset)
    state.openapi = document(
        "dcemu mock Intune", VERSION, [*ROUTES, *admin_routes.SHARED_ROUTES], schemas()
    )
    app = base_app(state, body_limit=settings.body_limit)
    app[TENANT] = tenant
    app[SETTINGS] = settings
    register(app, ROUTES)
    return app
