"""The device side: activation with the scanned token, EST simpleenroll per certificate, key
history, and the CA certificates (EST cacerts)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from servicekit.problems import NotFound, read_json
from trust_store.clock import isoformat
from trust_store.pkcs import certs_only

from ..wire import b64decode, b64encode, bearer_token, get_str, read_body
from .activation import ActivationRequest, activate, idempotency_key
from .base import Product
from .keyhistory import recover_key_history
from .pipeline import IssuanceContext
from .service import ISSUER_SERVICE

PKCS10 = "application/pkcs10"
CERTS_ONLY = "application/pkcs7-mime; smime-type=certs-only"


def _base64_der(der: bytes, content_type: str) -> web.Response:
    """An EST answer: base64 DER (RFC 7030 section 4)."""
    headers = {"Content-Type": content_type, "Content-Transfer-Encoding": "base64"}
    return web.Response(body=b64encode(der).encode(), headers=headers)


async def activation(request: web.Request) -> web.Response:
    service = request.app[ISSUER_SERVICE]
    activation_request = ActivationRequest.from_json(
        await read_json(request),
        service.issuer,
        idempotency_key(request.headers.get("Idempotency-Key")),
    )
    # From here to the end: no await, so checking and marking the token is one step.
    enrollment = activate(
        service.enrollments,
        service.issuer,
        activation_request,
        service.clock.now(),
        service.settings.access_token_lifetime,
    )
    expires = enrollment.access_expires_at or service.clock.now()
    body = {
        "enrollment": enrollment.id,
        "accessToken": enrollment.access_token,
        "expiresAt": isoformat(expires),
        "requests": service.issuer.requests(),
    }
    return web.json_response(body, status=201)


def simpleenroll(product: Product) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        service = request.app[ISSUER_SERVICE]
        enrollment = service.enrollments.by_access_token(bearer_token(request), service.clock.now())
        der = b64decode(await read_body(request, PKCS10), "PKCS#10 body")
        ctx = IssuanceContext(enrollment, product, der, service.clock.now())
        cert = await service.pipeline.run(ctx)
        return _base64_der(certs_only([cert, service.hierarchy.issuing.cert]), CERTS_ONLY)

    return handler


async def key_history(request: web.Request) -> web.Response:
    service = request.app[ISSUER_SERVICE]
    enrollment = service.enrollments.by_access_token(bearer_token(request), service.clock.now())
    if enrollment.id != request.match_info["id"]:
        raise NotFound(f"no enrollment {request.match_info['id']!r} for this access token")
    password = get_str(await read_json(request), "password", max_len=256)
    items = await recover_key_history(
        service.upstream, service.settings.card_authority_url, enrollment.holder.card_uuid, password
    )
    return web.json_response({"items": items})


async def cacerts(request: web.Request) -> web.Response:
    return _base64_der(certs_only(request.app[ISSUER_SERVICE].ca_chain), CERTS_ONLY)


def add_device_routes(app: web.Application, products: tuple[Product, ...], history: bool) -> None:
    app.router.add_post("/device/v1/activations", activation)
    for product in products:
        app.router.add_post(product.est_path, simpleenroll(product))
    if history:
        app.router.add_post("/device/v1/enrollments/{id}/key-history", key_history)
    app.router.add_get("/.well-known/est/cacerts", cacerts)
