"""Reading request fields and bodies: every shape error becomes a `malformed` (400) problem,
a wrong media type `unsupported-media-type` (415), an oversized body `too-large` (413)."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from aiohttp import web

from servicekit.problems import BadRequest, Unauthorized, UnsupportedMedia, read_json

_WHITESPACE = re.compile(rb"\s+")


def require_media_type(request: web.Request, *allowed: str) -> None:
    if request.content_type not in allowed:
        raise UnsupportedMedia(
            f"expected {' or '.join(allowed)}, got {request.content_type or 'nothing'}"
        )


async def read_body(request: web.Request, *allowed: str) -> bytes:
    """The raw body, after checking its media type (aiohttp enforces the size limit: 413)."""
    require_media_type(request, *allowed)
    return await request.read()


async def read_optional_json(request: web.Request) -> dict[str, Any]:
    """Like `read_json`, but an empty body (no Content-Type needed) reads as `{}`."""
    if not request.can_read_body:
        return {}
    return await read_json(request)


def b64decode(data: str | bytes, what: str) -> bytes:
    """Standard base64, line breaks and spaces allowed (as EST bodies carry them)."""
    raw = data.encode("ascii", "replace") if isinstance(data, str) else data
    try:
        decoded = base64.b64decode(_WHITESPACE.sub(b"", raw), validate=True)
    except (binascii.Error, ValueError) as e:
        raise BadRequest(f"{what} is not valid base64: {e}") from e
    if not decoded:
        raise BadRequest(f"{what} is empty")
    return decoded


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def get_str(body: dict[str, Any], name: str, *, max_len: int = 1024) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise BadRequest(f"field {name!r} must be a non-empty string")
    if len(value) > max_len:
        raise BadRequest(f"field {name!r} is longer than {max_len} characters")
    return value


def get_optional_str(body: dict[str, Any], name: str, *, max_len: int = 1024) -> str | None:
    return None if body.get(name) is None else get_str(body, name, max_len=max_len)


def get_obj(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    if not isinstance(value, dict):
        raise BadRequest(f"field {name!r} must be a JSON object")
    return value


def get_int(body: dict[str, Any], name: str, default: int, lo: int, hi: int) -> int:
    value = body.get(name, default)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON does not tell 2.0 from 2 (nor does JSON Schema)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise BadRequest(f"field {name!r} must be an integer from {lo} to {hi}")
    return value


def bearer_token(request: web.Request) -> str:
    """The token of an `Authorization: Bearer` header, or a 401 `unauthorized` problem."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("an Authorization: Bearer token is required")
    return token.strip()
