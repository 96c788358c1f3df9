"""Entry point for the lab: build and secure any registered issuer's server.

    app = create_app("entrust", settings, pki, clock, rand)
    runner, url = await serving.serve(app, server_ssl_context(pki, "entrust"))

Importing this module registers every issuer module of the package (the list below is the one
place that names them).
"""

from __future__ import annotations

import ssl

from aiohttp import web

from trust_store.clock import Clock
from trust_store.labpki import LabPKI
from trust_store.randomness import Randomness

from . import entrust, intercede  # noqa: F401  (each registers itself in ISSUERS)
from .issuer.app import create_issuer_app, issuer_ssl_context
from .issuer.base import ISSUERS, Issuer
from .issuer.service import ISSUER_SERVICE, IssuerService
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
    issuer_name: str, settings: IssuerSettings, pki: LabPKI, clock: Clock, rand: Randomness
) -> web.Application:
    """The server of issuer `issuer_name` (a key of `ISSUERS`: "entrust", "intercede").

    Its derived CA hierarchy is `pki.derived[issuer_name]` (added to the LabPKI when missing).
    After binding, set `settings.public_url` (or `serving.public_url_of(app)`); point
    `settings.card_authority_url` at the card authority (sharing its `PublicUrl` holder works).
    """
    return create_issuer_app(issuer_name, settings, pki, clock, rand)


def server_ssl_context(pki: LabPKI, issuer_name: str) -> ssl.SSLContext:
    """The issuer's HTTPS context (lab TLS root certificate; optional client certificates)."""
    return issuer_ssl_context(pki, issuer_name)
