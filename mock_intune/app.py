"""The app factory: `create_app(settings, clock, rand)`. Transport-agnostic; the lab serves it
over HTTPS with a certificate from the lab TLS root.

Three surfaces, three ways in: `/beta` (Graph) needs a bearer token from the client-credentials
grant (`identity`) and answers errors in Graph's shape (`graph_errors`); `/admin` needs the lab's
admin token (the server kit); the device channel authenticates devices by their check-in token.
"""

from __future__ import annotations

from aiohttp import web

from servicekit.webapp import ServerState, base_app
from trust_store.clock import Clock
from trust_store.randomness import Randomness

from . import admin_routes, device_routes, graph_directory, graph_routes
from .env import SETTINGS, TENANT
from .graph_errors import error_shapes
from .identity import add_identity_routes, graph_guard, install
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
    `POST /admin/reset` empties it. `app[GRAPH_APP]` holds the Graph API's client credentials
    (the settings', or made up from `rand`), `app[SERVER_STATE].admin_token` the admin token."""
    tenant = tenant if tenant is not None else Tenant()
    state = ServerState(settings.name, clock, rand, admin_token=settings.admin_token)
    state.reset_hooks.append(tenant.reset)
    app = base_app(
        state,
        body_limit=settings.body_limit,
        outer=[error_shapes(clock, rand.child("request-ids"))],
        guards=[graph_guard],
    )
    graph_app = install(app, settings, rand)
    state.openapi = document(
        "dcemu mock Intune",
        VERSION,
        [*ROUTES, *admin_routes.SHARED_ROUTES],
        schemas(),
        graph_app,
    )
    app[TENANT] = tenant
    app[SETTINGS] = settings
    add_identity_routes(app)
    register(app, ROUTES)
    return app
