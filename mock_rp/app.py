"""The relying party's app factory and its HTTPS context.

`/app/*` is a sub-application behind an authentication middleware: no client certificate is a
401, a certificate that fails the checks of `verifier.py` a 403 (or 503 when the issuer's status
cannot be learnt). The rest needs no certificate: `/openapi.json` is public, `/admin/*` needs
the lab's admin token (`settings.admin_token`, checked by the server kit).
"""

from __future__ import annotations

import ssl

from aiohttp import web
from cryptography import x509

from servicekit.webapp import Handler, ServerState, base_app
from trust_store import tls
from trust_store.clock import Clock
from trust_store.labpki import Hierarchy, LabPKI, ServerCredential
from trust_store.randomness import Randomness

from .openapi import openapi_document
from .problems import ClientCertificateRequired
from .settings import RpSettings
from .verifier import AppUser, ClientVerifier, OcspClient

VERIFIER = web.AppKey("rp_verifier", ClientVerifier)
APP_USER = web.RequestKey("rp_user", AppUser)


class RpConfigError(ValueError):
    """The settings name an issuer the lab PKI does not have."""


def trusted_hierarchies(pki: LabPKI, settings: RpSettings) -> dict[str, Hierarchy]:
    names = settings.trusted_issuers or tuple(pki.derived)
    unknown = [n for n in names if n not in pki.derived]
    if unknown:
        raise RpConfigError(
            f"unknown derived-credential issuer(s) {unknown}; the lab PKI has {sorted(pki.derived)}"
        )
    if not names:
        raise RpConfigError("no derived-credential issuer to trust")
    return {n: pki.derived[n] for n in names}


def create_app(
    settings: RpSettings, pki: LabPKI, clock: Clock, rand: Randomness
) -> web.Application:
    state = ServerState(
        settings.name,
        clock,
        rand,
        openapi=openapi_document(settings.name),
        admin_token=settings.admin_token,
    )
    app = base_app(state, body_limit=settings.body_limit)
    ocsp_client = OcspClient([pki.tls_root.cert], settings.ocsp_timeout)
    verifier = ClientVerifier(
        trusted_hierarchies(pki, settings),
        settings.required_policies,
        ocsp_client,
        clock,
        rand.child("ocsp-nonces"),
        ocsp_required=settings.ocsp_required,
    )
    app[VERIFIER] = verifier

    async def close_ocsp(_: web.Application) -> None:
        await ocsp_client.close()

    app.on_cleanup.append(close_ocsp)
    app.add_subapp("/app/", _protected_app(verifier))
    return app


def _protected_app(verifier: ClientVerifier) -> web.Application:
    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        transport = request.transport
        cert = tls.peer_certificate(transport.get_extra_info("ssl_object") if transport else None)
        if cert is None:
            raise ClientCertificateRequired(
                "this app requires a TLS client certificate: the derived PIV Authentication "
                "credential"
            )
        request[APP_USER] = await verifier.authenticate(cert)
        return await handler(request)

    sub = web.Application(middlewares=[authenticate])
    sub.router.add_get("/whoami", _whoami)
    return sub


async def _whoami(request: web.Request) -> web.Response:
    return web.json_response(request[APP_USER].to_json())


def client_cas(pki: LabPKI, settings: RpSettings) -> list[x509.Certificate]:
    """Roots and issuing CAs of the trusted derived hierarchies (the TLS client CA list)."""
    return [
        c
        for h in trusted_hierarchies(pki, settings).values()
        for c in (*h.anchors, *h.intermediates)
    ]


def server_ssl_context(
    pki: LabPKI, settings: RpSettings, credential: ServerCredential | None = None
) -> ssl.SSLContext:
    """HTTPS with a lab-TLS-root certificate that asks for client certificates from the trusted
    derived hierarchies. The context uses CERT_OPTIONAL (the handler answers 401 without one);
    a certificate from another hierarchy (a PIV card, another issuer) fails the handshake."""
    cred = credential or pki.server_credential(settings.name)
    return tls.server_context(cred.chain, cred.key, client_cas=client_cas(pki, settings))
