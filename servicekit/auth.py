"""The lab's admin token: one shared secret per lab that every server's `/admin/*` routes require
as `Authorization: Bearer <token>` (RFC 6750), checked by one middleware (`admin_guard`, added by
`webapp.base_app`), never per route.

Each server's settings carry it as `admin_token`, read from `DCEMU_ADMIN_TOKEN` through
`admin_token_from(EnvReader)`; the lab passes one token to all of its servers and makes one up when
none is given. A server given none makes up its own from its seeded randomness (readable as
`app[SERVER_STATE].admin_token`), so an admin surface is never open.
"""

from __future__ import annotations

import hmac
import re

from aiohttp import web
from aiohttp.typedefs import Middleware

from trust_store.randomness import Randomness

from .env import EnvReader, SettingsError
from .problems import Handler, Unauthorized

ADMIN_TOKEN_ENV = "DCEMU_ADMIN_TOKEN"
#: Paths under this prefix are the lab controls (the shared admin sub-app and each server's own).
ADMIN_PREFIX = "/admin"
#: The realm named in the admin routes' `WWW-Authenticate` challenge.
ADMIN_REALM = "dcemu-admin"
#: Bounds of a secret given in the settings (shorter is guessable, longer is a mistake).
MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 512
#: RFC 6750 `b64token`: what a bearer token may be made of.
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")

__all__ = [
    "ADMIN_PREFIX",
    "ADMIN_TOKEN_ENV",
    "Middleware",
    "admin_guard",
    "admin_token_from",
    "bearer_token",
    "check_bearer_secret",
    "is_under",
    "new_secret",
    "same_secret",
]


def check_bearer_secret(name: str, value: str | None) -> None:
    """For a settings class's `__post_init__`: a secret that is set must be usable as a bearer
    token (RFC 6750 `b64token`, 16 to 512 characters), else `SettingsError` naming `name`."""
    if value is None:
        return
    if not (MIN_SECRET_LENGTH <= len(value) <= MAX_SECRET_LENGTH and _B64TOKEN.fullmatch(value)):
        raise SettingsError(
            name,
            "<hidden>",
            f"{MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters of A-Z a-z 0-9 - . _ ~ + / "
            "(RFC 6750 b64token)",
        )


def admin_token_from(env: EnvReader) -> str | None:
    """The lab's admin token from `DCEMU_ADMIN_TOKEN` (None when unset); a value that cannot be
    a bearer token raises `SettingsError`."""
    value = env.raw(ADMIN_TOKEN_ENV)
    check_bearer_secret(ADMIN_TOKEN_ENV, value)
    return value


def new_secret(rand: Randomness) -> str:
    """A fresh 256-bit secret (URL-safe text) from `rand` (seed it to repeat a run)."""
    return rand.token_urlsafe(32)


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of two secrets."""
    return hmac.compare_digest(given.encode(), expected.encode())


def bearer_token(request: web.Request) -> str | None:
    """The token of `Authorization: Bearer <token>`; None when the header is absent, of another
    scheme, or empty."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def is_under(path: str, prefix: str) -> bool:
    """`path` is `prefix` itself or below it (`/admin`, `/admin/`, `/admin/x`; not `/adminx`)."""
    return path == prefix or path.startswith(prefix + "/")


def admin_guard(token: str) -> Middleware:
    """The middleware that lets a request under `/admin` through only with `token`: otherwise a
    401 `unauthorized` problem document with `WWW-Authenticate: Bearer` (RFC 6750 section 3;
    `error="invalid_token"` when a token was sent but is not this lab's)."""

    @web.middleware
    async def admin_only(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not is_under(request.path, ADMIN_PREFIX):
            return await handler(request)
        given = bearer_token(request)
        if given is not None and same_secret(given, token):
            return await handler(request)
        if given is None:
            detail, challenge = "the lab controls need Authorization: Bearer <admin token>", ""
        else:
            detail = "the admin token is not this lab's"
            challenge = ', error="invalid_token", error_description="wrong admin token"'
        resp = Unauthorized(detail).response(request.path)
        resp.headers["WWW-Authenticate"] = f'Bearer realm="{ADMIN_REALM}"{challenge}'
        return resp

    return admin_only
