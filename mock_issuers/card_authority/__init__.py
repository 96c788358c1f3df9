"""The agency's PIV card management system ("card authority"), see docs/protocol.md.

app = create_app(settings, pki, clock, rand)
runner, url = await mock_issuers.serving.serve(app, server_ssl_context(pki))
"""

from __future__ import annotations

from .app import create_app, server_ssl_context
from .routes import CARD_AUTHORITY
from .service import CardAuthority

__all__ = ["CARD_AUTHORITY", "CardAuthority", "create_app", "server_ssl_context"]
