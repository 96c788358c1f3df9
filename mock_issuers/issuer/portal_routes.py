"""The portal: the user's workstation signs in with the PIV card (mutual TLS), asks for an
enrollment and shows its QR code (and, for Entrust, the activation password)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from servicekit.problems import read_json
from trust_store.clock import isoformat

from ..kinds import CardRequired
from ..peer import client_certificate
from ..wire import bearer_token
from .qr import qr_png
from .service import ISSUER_SERVICE, IssuerService
from .sessions import PortalSession


def _session(request: web.Request, service: IssuerService) -> PortalSession:
    return service.sessions.lookup(bearer_token(request), service.clock.now())


async def sign_in(request: web.Request) -> web.Response:
    service = request.app[ISSUER_SERVICE]
    cert = client_certificate(request)
    if cert is None:
        raise CardRequired("sign in with the smart card: no TLS client certificate was sent")
    holder = await service.verifier.verify(cert)
    session = service.sessions.open(holder, service.clock.now(), service.settings.session_lifetime)
    body = {
        "session": session.token,
        "user": holder.to_json(),
        "expiresAt": isoformat(session.expires_at),
    }
    return web.json_response(body, status=201)


async def create_enrollment(request: web.Request) -> web.Response:
    service = request.app[ISSUER_SERVICE]
    session = _session(request, service)
    await read_json(request)  # `{}`: nothing to choose yet, but it must be a JSON object
    enrollment = service.enrollments.create(
        service.issuer, session.holder, service.clock.now(), service.token_lifetime
    )
    body: dict[str, Any] = {
        "id": enrollment.id,
        "expiresAt": isoformat(enrollment.expires_at),
        "qr": f"/portal/enrollments/{enrollment.id}/qr.png",
    }
    if enrollment.password is not None:
        body["password"] = enrollment.password
    return web.json_response(body, status=201)


async def get_enrollment(request: web.Request) -> web.Response:
    service = request.app[ISSUER_SERVICE]
    session = _session(request, service)
    enrollment = service.enrollments.of_holder(request.match_info["id"], session.holder)
    return web.json_response(enrollment.summary(service.clock.now()))


async def enrollment_qr(request: web.Request) -> web.Response:
    service = request.app[ISSUER_SERVICE]
    session = _session(request, service)
    enrollment = service.enrollments.of_holder(request.match_info["id"], session.holder)
    png = qr_png(service.issuer.qr_payload(enrollment.token))
    return web.Response(body=png, content_type="image/png", headers={"Cache-Control": "no-store"})


def add_portal_routes(app: web.Application) -> None:
    app.router.add_post("/portal/session", sign_in)
    app.router.add_post("/portal/enrollments", create_enrollment)
    app.router.add_get("/portal/enrollments/{id}", get_enrollment)
    app.router.add_get("/portal/enrollments/{id}/qr.png", enrollment_qr)
