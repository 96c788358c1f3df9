"""Device activation: the device presents the token it scanned (plus, for Entrust, the password
the portal showed) and its signed-in user.

`activate` is synchronous on purpose: it checks and marks the token used with no `await` in
between, so of two concurrent activations of one token exactly one wins.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from typing import Any

from servicekit.problems import BadRequest

from ..kinds import (
    AttemptsExhausted,
    PasswordMismatch,
    TokenExpired,
    TokenInvalid,
    TokenUsed,
    UserMismatch,
)
from ..wire import get_obj, get_optional_str, get_str
from .base import Issuer
from .enrollment_index import EnrollmentStore
from .enrollment_state import DeviceInfo, Enrollment, Event, State


@dataclass(frozen=True)
class ActivationRequest:
    token: str
    password: str | None
    upn: str
    device: DeviceInfo

    @classmethod
    def from_json(cls, body: dict[str, Any], issuer: Issuer) -> ActivationRequest:
        token = get_str(body, "token", max_len=256)
        password = get_optional_str(body, "password", max_len=64)
        if issuer.password_required and password is None:
            raise BadRequest(f"{issuer.display_name} activation needs the portal's password")
        d = get_obj(body, "device")
        device = DeviceInfo(
            get_str(d, "id", max_len=256),
            get_str(d, "platform", max_len=64),
            get_str(d, "osVersion", max_len=64),
            get_str(d, "model", max_len=128),
        )
        return cls(token, password, get_str(body, "upn", max_len=256), device)


def activate(
    store: EnrollmentStore,
    issuer: Issuer,
    request: ActivationRequest,
    now: dt.datetime,
    access_lifetime: dt.timedelta,
) -> Enrollment:
    """Check the token, the user and the password, then mark the enrollment activated."""
    enrollment = store.by_token(request.token)
    if enrollment is None:
        raise TokenInvalid("this activation token was never issued here")
    if enrollment.state is State.CANCELLED:
        raise AttemptsExhausted("this enrollment was cancelled after too many wrong passwords")
    if enrollment.state is not State.PENDING:
        raise TokenUsed("this activation token has already been used")
    if enrollment.is_expired(now):
        raise TokenExpired("this activation token has expired; request a new QR code")
    if not enrollment.holder.same_user(request.upn):
        raise UserMismatch("the device's user is not the user who signed in with the card")
    if issuer.password_required:
        _check_password(enrollment, issuer, request.password or "")
    store.activate(enrollment, request.device, now, access_lifetime)
    return enrollment


def _check_password(enrollment: Enrollment, issuer: Issuer, given: str) -> None:
    expected = enrollment.password or ""
    if hmac.compare_digest(given.encode(), expected.encode()):
        return
    enrollment.failed_passwords += 1
    remaining = issuer.max_password_attempts - enrollment.failed_passwords
    if remaining <= 0:
        enrollment.fire(Event.CANCEL)
        raise AttemptsExhausted("too many wrong passwords; the enrollment is cancelled")
    raise PasswordMismatch("wrong activation password", attemptsRemaining=remaining)
