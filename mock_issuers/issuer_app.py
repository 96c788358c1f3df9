"""Entry point for the lab: build and secure any registered issuer's server.

    app = create_app("entrust", settings, pki, clock, rand)
    runner, url = await serving.serve(app, server_ssl_context(pki, "entrust"))

(`mock_issuers.issuer.create_app` is the same function.)
"""

from __future__ import annotations

import ssl

from aiohttp import web

from trust_store.clock import Clock
from trust_store.labpki import LabPKI
from trust_store.randomness import Randomness

from .issuer import ISSUER_SERVICE, ISSUERS, Issuer, IssuerService
from .issuer import create_app as _create_app
from .issuer import server_ssl_context as _server_ssl_context
from .persistence import Storage
from .settings import IssuerSettings

__all__ = [
    "ISSUERS",
    "ISSUER_SERVICE",
    "Issuer",
    "IssuerService",
    "create_app",
    "server_ssl_context",
]


def create_app(
    issuer_name: str,
    settings: IssuerSettings,
    pki: LabPKI,
    clock: Clock,
    rand: Randomness,
    storage: Storage | None = None,
) -> web.Application:
    """The server of issuer `issuer_name` (a key of `ISSUERS`: "entrust", "intercede").

    Its derived CA hierarchy is `pki.derived[issuer_name]` (added to the LabPKI when missing).
    After binding, set `settings.public_url` (or `serving.public_url_of(app)`); point
    `settings.card_authority_url` at the card authority (sharing its `PublicUrl` holder works).
    Its state is kept in `storage` (memory when None) and rebuilt from it.
    """
    return _create_app(issuer_name, settings, pki, clock, rand, storage)


def server_ssl_context(pki: LabPKI, issuer_name: str) -> ssl.SSLContext:
    """The issuer's HTTPS context (lab TLS root certificate; optional client certificates)."""
    return _server_ssl_context(pki, issuer_name)
