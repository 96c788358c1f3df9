"""The core shared by every derived-credential issuer that uses the portal + QR + device flow:
the issuer interface and registry (`base`), card sign-in (`cardcheck`), sessions, enrollments
and their state machine, activation, the issuance pipeline, QR codes, key history, routes and
the app factory. Issuers themselves are modules beside this package (`entrust`, `intercede`),
registered when this package is imported.

    app = create_app("entrust", settings, pki, clock, rand)
"""

from __future__ import annotations

# The built-in issuers register themselves on import (the one place that lists them).
from .. import entrust as _entrust  # noqa: F401
from .. import intercede as _intercede  # noqa: F401
from .app import create_issuer_app as create_app
from .app import issuer_ssl_context as server_ssl_context
from .base import ISSUERS, Issuer, Product, register
from .service import ISSUER_SERVICE, IssuerService

__all__ = [
    "ISSUERS",
    "ISSUER_SERVICE",
    "Issuer",
    "IssuerService",
    "Product",
    "create_app",
    "register",
    "server_ssl_context",
]
