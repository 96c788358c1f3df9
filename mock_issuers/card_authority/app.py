"""The card authority's app factory and its HTTPS context."""

from __future__ import annotations

import ssl

from aiohttp import web

from servicekit.webapp import ServerState, base_app
from trust_store.clock import Clock
from trust_store.labpki import LabPKI
from trust_store.randomness import Randomness

from ..persistence import Storage, committing, storage_or_memory
from ..revocation import add_revocation_routes
from ..serving import PUBLIC_URL, https_context
from ..settings import CardAuthoritySettings
from .notify import Notifier
from .routes import CARD_AUTHORITY, NOTIFIER, add_routes
from .service import CardAuthority
from .spec import openapi_document

SERVER_NAME = "card-authority"


def create_app(
    settings: CardAuthoritySettings,
    pki: LabPKI,
    clock: Clock,
    rand: Randomness,
    storage: Storage | None = None,
) -> web.Application:
    """Build the card authority, rebuilt from `storage` (memory when None); what a request
    changes is committed before its answer. Set `settings.public_url` once the server is
    bound."""
    storage = storage_or_memory(storage)
    state = ServerState(
        SERVER_NAME, clock, rand, openapi=openapi_document(), admin_token=settings.admin_token
    )
    app = base_app(state, body_limit=settings.body_limit, outer=committing(storage))
    authority = CardAuthority(settings, pki, clock, rand, storage)
    app[CARD_AUTHORITY] = authority
    app[NOTIFIER] = Notifier(settings, [pki.tls_root.cert], clock)
    app[PUBLIC_URL] = settings.public_url
    state.reset_hooks.append(authority.reset)
    add_routes(app)
    add_revocation_routes(app, pki.piv)
    return app


def server_ssl_context(pki: LabPKI) -> ssl.SSLContext:
    """HTTPS with a lab-TLS-root certificate; asks for (optional) client certificates from the
    lab TLS root, which the escrow route requires."""
    credential = pki.server_credential("dcemu card authority")
    return https_context(credential, [pki.tls_root.cert])
