"""The users' portal (enterprise listener): the user signs in with their own PIV card (the
shared core's sign-in: mutual TLS, chain, OCSP) and generates the one-time passcodes of the
user key-management and recover steps, bound to their own card."""

from __future__ import annotations

from aiohttp import web

from servicekit.problems import read_json

from ..issuer.portal_routes import sign_in
from ..wire import bearer_token
from .console_routes import step_of
from .otps import USER_STEPS
from .service import PUREBRED_SERVICE


async def issue_user_otp(request: web.Request) -> web.Response:
    service = request.app[PUREBRED_SERVICE]
    session = service.core.sessions.lookup(bearer_token(request), service.clock.now())
    step = step_of(await read_json(request), USER_STEPS, "users")
    holder = session.holder
    otp = service.otps.issue(
        step,
        holder.card_uuid,
        f"user:{holder.upn}",
        service.clock.now(),
        service.settings.otp_lifetime,
    )
    return web.json_response(otp.to_json(), status=201)


def add_portal_routes(app: web.Application) -> None:
    app.router.add_post("/portal/session", sign_in)
    app.router.add_post("/portal/otps", issue_user_otp)
