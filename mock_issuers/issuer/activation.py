"""Device activation: the device presents the token it scanned (plus, for Entrust, the password
the portal showed) and its signed-in user.

`activate` is synchronous on purpose: it checks and marks the token used with no `await` in
between, so of two concurrent activations of one token exactly one wins.

Idempotent for the device that asked: a device sends an `Idempotency-Key` (a secret it made and
kept before sending); the same key, device and user repeating an activation whose answer was
lost get the same authorisation. Anyone else presenting the used token gets `token-used`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
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

#: Longest `Idempotency-Key` accepted (the device's is 32 base64url characters).
MAX_IDEMPOTENCY_KEY = 128


def idempotency_key(header: str | None) -> str | None:
    """The `Idempotency-Key` header, kept as its SHA-256 (None when absent); a value that is
    not a short printable token is a 400."""
    if header is None:
        return None
    key = header.strip().strip('"')
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isascii() or not key.isprintable():
        raise BadRequest(
            f"Idempotency-Key must be 1..{MAX_IDEMPOTENCY_KEY} printable ASCII characters"
        )
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class ActivationRequest:
    token: str
    password: str | None
    upn: str
    device: DeviceInfo
    #: SHA-256 of the request's `Idempotency-Key`, when it sent one.
    key: str | None = None

    @classmethod
    def from_json(
        cls, body: dict[str, Any], issuer: Issuer, key: str | None = None
    ) -> ActivationRequest:
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
        return cls(token, password, get_str(body, "upn", max_len=256), device, key)


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
        if _is_repeat(enrollment, request):
            return enrollment  # the same device asking again: the same authorisation
        raise TokenUsed("this activation token has already been used")
    if enrollment.is_expired(now):
        raise TokenExpired("this activation token has expired; request a new QR code")
    if not enrollment.holder.same_user(request.upn):
        raise UserMismatch("the device's user is not the user who signed in with the card")
    if issuer.password_required:
        _check_password(store, enrollment, issuer, request.password or "")
    store.activate(enrollment, request.device, now, access_lifetime, request.key)
    return enrollment


def _is_repeat(enrollment: Enrollment, request: ActivationRequest) -> bool:
    """The activation that used the token, sent again by the device that sent it."""
    if request.key is None or enrollment.activation_key is None or enrollment.device is None:
        return False
    return (
        hmac.compare_digest(request.key, enrollment.activation_key)
        and enrollment.device.id == request.device.id
        and enrollment.holder.same_user(request.upn)
    )


def _check_password(
    store: EnrollmentStore, enrollment: Enrollment, issuer: Issuer, given: str
) -> None:
    """A wrong password counts (kept, and committed with the refusal); the last one cancels."""
    expected = enrollment.password or ""
    if hmac.compare_digest(given.encode(), expected.encode()):
        return
    enrollment.failed_passwords += 1
    remaining = issuer.max_password_attempts - enrollment.failed_passwords
    if remaining <= 0:
        enrollment.fire(Event.CANCEL)
    store.save(enrollment)
    if remaining <= 0:
        raise AttemptsExhausted("too many wrong passwords; the enrollment is cancelled")
    raise PasswordMismatch("wrong activation password", attemptsRemaining=remaining)
