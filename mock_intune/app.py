"""The app factory: `create_app(settings, clock, rand, storage=None)`. Transport-agnostic; the
lab serves it over HTTPS with a certificate from the lab TLS root.

Three surfaces, three ways in: `/beta` (Graph) needs a bearer token from the client-credentials
grant (`identity`) and answers errors in Graph's shape (`graph_errors`); `/admin` needs the lab's
admin token (the server kit); the device channel authenticates devices by their check-in token.

State: the whole tenant, the Graph app registration and the access tokens issued live in
`storage` (`store`, `registration`): read back at start, written by each request and committed
before its answer. Middlewares, outermost first (`servicekit.webapp.base_app`): Graph error
shapes, history, problems, head limits, admin guard, faults, then this app's guards: the `/beta`
token guard, `commit_middleware` (commits after what is inside it returns or raises), and
`flush_middleware` (writes the records the handler changed). Commit is thus after the handler
and before anything is sent: the outer middlewares only shape the answer, and aiohttp sends it
once the outermost returns. A refusal by an outer middleware changes nothing to commit.
"""

from __future__ import annotations

from aiohttp import web

from servicekit.storage import MemoryStorage, Storage, commit_middleware
from servicekit.webapp import ServerState, base_app
from trust_store.clock import Clock
from trust_store.randomness import Randomness

from . import admin_routes, device_routes, graph_directory, graph_routes
from .env import RANDOM, SETTINGS, TENANT
from .graph_errors import error_shapes
from .identity import add_identity_routes, graph_guard, install
from .openapi import document, register
from .schemas import schemas
from .settings import ServerSettings
from .store import TenantStore, boot_randomness, flush_middleware, next_boot

VERSION = "0.1.0"

ROUTES = [
    *graph_routes.ROUTES,
    *graph_directory.ROUTES,
    *device_routes.ROUTES,
    *admin_routes.ROUTES,
]


def create_app(
    settings: ServerSettings,
    clock: Clock,
    rand: Randomness,
    storage: Storage | None = None,
) -> web.Application:
    """A mock Intune tenant server kept in `storage` (in memory when None). `app[TENANT]` is the
    tenant state (for in-process labs); `POST /admin/reset` empties it, in storage too.
    `app[GRAPH_APP]` holds the Graph API's client credentials (the settings', else those kept
    in `storage`, else made up from `rand`), `app[SERVER_STATE].admin_token` the admin token."""
    storage = storage if storage is not None else MemoryStorage()
    ids = boot_randomness(rand, next_boot(storage))
    store = TenantStore(storage)
    state = ServerState(settings.name, clock, rand, admin_token=settings.admin_token)
    state.reset_hooks.append(store.reset)
    app = base_app(
        state,
        body_limit=settings.body_limit,
        outer=[error_shapes(clock, ids.child("request-ids"))],
        guards=[
            graph_guard,
            commit_middleware(storage),
            flush_middleware(store),
        ],
    )
    graph_app = install(app, settings, rand, storage, tokens_rand=ids)
    storage.commit()  # the start: its number and the registration
    state.openapi = document(
        "dcemu mock Intune",
        VERSION,
        [*ROUTES, *admin_routes.SHARED_ROUTES],
        schemas(),
        graph_app,
    )
    app[TENANT] = store.tenant
    app[SETTINGS] = settings
    app[RANDOM] = ids
    add_identity_routes(app)
    register(app, ROUTES)
    return app
