"""The app factory shared by every registered issuer, and its HTTPS context."""

from __future__ import annotations

import ssl

from aiohttp import web

from servicekit.problems import NotFound
from servicekit.webapp import ServerState, base_app
from trust_store.clock import Clock
from trust_store.labpki import LabPKI
from trust_store.randomness import Randomness

from ..persistence import Storage, committing, storage_or_memory
from ..revocation import add_revocation_routes
from ..serving import PUBLIC_URL, https_context
from ..settings import IssuerSettings
from .admin_routes import add_admin_routes
from .base import ISSUERS
from .card_recheck import add_card_recheck
from .device_routes import add_device_routes
from .portal_routes import add_portal_routes
from .rekey_routes import add_rekey_routes
from .rekey_spec import rekey_paths
from .service import ISSUER_SERVICE, IssuerService
from .spec import openapi_document


def create_issuer_app(
    issuer_name: str,
    settings: IssuerSettings,
    pki: LabPKI,
    clock: Clock,
    rand: Randomness,
    storage: Storage | None = None,
) -> web.Application:
    """Build the server of the registered issuer `issuer_name`, rebuilt from `storage` (memory
    when None); what a request changes is committed before its answer. Set
    `settings.public_url` once it is bound; `settings.card_authority_url` must be set before
    devices ask for key history."""
    try:
        issuer = ISSUERS[issuer_name]()
    except KeyError:
        raise NotFound(f"no issuer {issuer_name!r}; registered: {sorted(ISSUERS)}") from None
    openapi = openapi_document(issuer)
    openapi["paths"].update(rekey_paths(issuer))
    storage = storage_or_memory(storage)
    state = ServerState(issuer.name, clock, rand, openapi=openapi, admin_token=settings.admin_token)
    app = base_app(state, body_limit=settings.body_limit, outer=committing(storage))
    service = IssuerService(issuer, settings, pki, clock, rand, storage)
    app[ISSUER_SERVICE] = service
    app[PUBLIC_URL] = settings.public_url
    state.reset_hooks.append(service.reset)

    async def close_upstream(_: web.Application) -> None:
        await service.close()

    app.on_cleanup.append(close_upstream)
    add_portal_routes(app)
    add_device_routes(app, issuer.products, issuer.key_history)
    if service.reissuer is not None:
        add_rekey_routes(app)
    add_revocation_routes(app, service.hierarchy)
    add_admin_routes(app, people=service.reissuer is not None)
    add_card_recheck(app, service)
    return app


def issuer_ssl_context(pki: LabPKI, issuer_name: str) -> ssl.SSLContext:
    """HTTPS with a lab-TLS-root certificate that asks for (optional) client certificates.

    The TLS layer accepts a certificate from any lab hierarchy (PIV card CA, the derived CAs,
    the TLS root) so that a card from the wrong hierarchy reaches the portal and is refused
    with a `card-untrusted` problem document; a certificate from outside the lab fails the
    handshake.
    """
    lab_cas = [pki.piv.root.cert, pki.piv.issuing.cert, pki.tls_root.cert]
    for hierarchy in pki.derived.values():
        lab_cas += [hierarchy.root.cert, hierarchy.issuing.cert]
    return https_context(pki.server_credential(issuer_name), lab_cas)
