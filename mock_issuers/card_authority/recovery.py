"""Who may recover escrowed keys: a registered issuer, proven by mutual TLS with a certificate
from the lab TLS root (clientAuth) whose common name is on the allow-list."""

from __future__ import annotations

from aiohttp import web
from cryptography import x509

from servicekit.problems import Forbidden, Unauthorized
from trust_store import validation
from trust_store.clock import Clock
from trust_store.errors import ChainValidationError
from trust_store.oids import EKU_CLIENT_AUTH

from ..peer import client_certificate, common_name


def authorised_escrow_client(
    request: web.Request, tls_root: x509.Certificate, allowed: frozenset[str], clock: Clock
) -> str:
    """The allowed issuer's name, or a 401 (no certificate) / 403 (not allowed) problem."""
    cert = client_certificate(request)
    if cert is None:
        raise Unauthorized(
            "escrow recovery needs mutual TLS with a registered issuer's certificate"
        )
    try:
        validation.validate_chain(cert, [], [tls_root], clock.now(), eku=EKU_CLIENT_AUTH)
    except ChainValidationError as e:
        raise Forbidden(f"client certificate is not a lab TLS client certificate: {e}") from e
    name = common_name(cert)
    if name not in allowed:
        raise Forbidden(f"{name!r} is not a registered issuer allowed to recover escrowed keys")
    return name
