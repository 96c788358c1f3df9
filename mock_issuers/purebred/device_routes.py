"""The device API, served only on the on-premises listener.

- pre-enroll (agent code 1): the server keeps the hash of the request as received;
- enroll (agent code 2, the SCEP-like challenge): redeemed once for a short-lived enrollment
  authorisation under which the device sends one PKCS#10 per certificate (EST paths, shared
  issuance pipeline: proof of possession, key strength, subject from the card, SP 800-157);
- key-management and recover (user codes): the card's escrowed key-management keys as PKCS#12,
  recovered from the card authority (current key; earlier keys).

Every code check and its use happen with no `await` in between (or under a reservation while
the card authority is asked), so of two concurrent uses of one code exactly one succeeds.

Idempotent for the device that asked: the device that enrolled a pre-enrollment (it holds the
pre-enrollment's nonce) repeating its enroll gets the same authorisation; its certificate
requests are idempotent through the shared pipeline (same key, same certificate).
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from servicekit.problems import NotFound, json_object, read_json
from trust_store.clock import isoformat

from ..issuer.device_routes import cacerts, simpleenroll
from ..issuer.enrollment_state import DeviceInfo, Enrollment
from ..issuer.keyhistory import recover_key_history
from ..issuer.service import IssuerService
from ..wire import bearer_token, get_obj, get_str, read_body
from .kinds import OtpUserMismatch
from .otps import OtpStep
from .service import PUREBRED_SERVICE

MAX_OTP = 32
MAX_NONCE = 128
Handler = Callable[[web.Request], Awaitable[web.Response]]


def device_info(body: dict[str, Any]) -> DeviceInfo:
    d = get_obj(body, "device")
    return DeviceInfo(
        get_str(d, "id", max_len=256),
        get_str(d, "platform", max_len=64),
        get_str(d, "osVersion", max_len=64),
        get_str(d, "model", max_len=128),
    )


async def pre_enroll(request: web.Request) -> web.Response:
    service = request.app[PUREBRED_SERVICE]
    raw = await read_body(request, "application/json")  # hashed exactly as received
    body = json_object(raw)
    code = get_str(body, "otp", max_len=MAX_OTP)
    upn = get_str(body, "upn", max_len=256)
    nonce = get_str(body, "nonce", max_len=MAX_NONCE)
    device = device_info(body)
    # From here to the end: no await (check and use of the code are one step).
    now = service.clock.now()
    otp = service.otps.check(code, OtpStep.PRE_ENROLL, now)
    applicant = service.applicants.get(str(otp.applicant))
    if not applicant.holder.same_user(upn):
        raise OtpUserMismatch("this one-time passcode was issued for another user")
    pre = service.pre_enrollments.create(
        otp.applicant, device, nonce, raw, now, service.settings.pre_enrollment_lifetime
    )
    service.otps.redeem(otp, now)
    answer = {
        "preEnrollment": pre.id,
        "hash": pre.hash,
        "fingerprint": pre.fingerprint,
        "expiresAt": isoformat(pre.expires_at),
    }
    return web.json_response(answer, status=201)


async def enroll(request: web.Request) -> web.Response:
    service = request.app[PUREBRED_SERVICE]
    core = service.core
    body = await read_json(request)
    code = get_str(body, "otp", max_len=MAX_OTP)
    pre_id = get_str(body, "preEnrollment", max_len=64)
    nonce = get_str(body, "nonce", max_len=MAX_NONCE)
    # From here to the end: no await.
    now = service.clock.now()
    pre = service.pre_enrollments.get(pre_id)
    if pre.enrollment is not None and hmac.compare_digest(nonce.encode(), pre.nonce.encode()):
        # The device that enrolled asks again (its answer was lost): the same authorisation.
        return web.json_response(_enrolled(core.enrollments.get(pre.enrollment), core, now))
    pre.check_enrollable(nonce, now)
    otp = service.otps.check(code, OtpStep.ENROLL, now)
    service.otps.check_owner(otp, pre.applicant)
    holder = service.applicants.get(str(pre.applicant)).holder
    service.otps.redeem(otp, now)
    enrollment = core.enrollments.create(core.issuer, holder, now, core.token_lifetime)
    core.enrollments.activate(enrollment, pre.device, now, service.settings.access_token_lifetime)
    service.pre_enrollments.enrolled(pre, enrollment.id)
    return web.json_response(_enrolled(enrollment, core, now), status=201)


def _enrolled(enrollment: Enrollment, core: IssuerService, now: dt.datetime) -> dict[str, Any]:
    return {
        "enrollment": enrollment.id,
        "accessToken": enrollment.access_token,
        "expiresAt": isoformat(enrollment.access_expires_at or now),
        "requests": core.issuer.requests(),
    }


def user_key_step(step: OtpStep, current: bool) -> Handler:
    """Key management (`current` keys) or recover (earlier keys), gated by a user's code."""

    async def handler(request: web.Request) -> web.Response:
        service = request.app[PUREBRED_SERVICE]
        core = service.core
        enrollment = core.enrollments.by_access_token(bearer_token(request), service.clock.now())
        if enrollment.id != request.match_info["id"]:
            raise NotFound(f"no enrollment {request.match_info['id']!r} for this access token")
        body = await read_json(request)
        code = get_str(body, "otp", max_len=MAX_OTP)
        password = get_str(body, "password", max_len=256)
        now = service.clock.now()
        otp = service.otps.check(code, step, now)
        service.otps.check_owner(otp, enrollment.holder.card_uuid)
        service.otps.reserve(otp)
        try:
            items = await recover_key_history(
                core.upstream,
                service.settings.card_authority_url,
                enrollment.holder.card_uuid,
                password,
            )
        except BaseException:
            service.otps.release(otp)
            raise
        service.otps.commit(otp, service.clock.now())
        return web.json_response({"items": [i for i in items if i["current"] is current]})

    return handler


def add_device_routes(app: web.Application) -> None:
    service = app[PUREBRED_SERVICE]
    app.router.add_post("/device/v1/pre-enroll", pre_enroll)
    app.router.add_post("/device/v1/enroll", enroll)
    for product in service.core.issuer.products:
        app.router.add_post(product.est_path, simpleenroll(product))
    app.router.add_post(
        "/device/v1/enrollments/{id}/key-management", user_key_step(OtpStep.KEY_MANAGEMENT, True)
    )
    app.router.add_post(
        "/device/v1/enrollments/{id}/recover", user_key_step(OtpStep.RECOVER, False)
    )
    app.router.add_get("/.well-known/est/cacerts", cacerts)
