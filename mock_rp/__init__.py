"""A mock relying-party web app that authenticates users by mutual TLS with their derived PIV
Authentication credential (SP 800-157 "app authentication").

    app = create_app(RpSettings(), pki, clock, rand)
    ctx = server_ssl_context(pki, settings)          # HTTPS; asks for client certificates
    GET /app/whoami  -> subject, card UUID, issuer   (401/403/503 problems otherwise)

It meets the agent only over HTTPS and imports nothing but `trust_store` and `servicekit`; its
problem kinds are its own catalogue (`mock_rp.problems.KINDS`).
"""

from .app import APP_USER, VERIFIER, RpConfigError, client_cas, create_app, server_ssl_context
from .settings import RpSettings
from .verifier import AppUser, ClientVerifier, OcspClient

__all__ = [
    "APP_USER",
    "VERIFIER",
    "AppUser",
    "ClientVerifier",
    "OcspClient",
    "RpConfigError",
    "RpSettings",
    "client_cas",
    "create_app",
    "server_ssl_context",
]
