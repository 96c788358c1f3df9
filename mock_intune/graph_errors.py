"""Errors in the shapes of the services mock Intune stands in for.

The handlers and the server kit raise problems (`servicekit.problems`, this package's `KINDS`)
and the kit's middleware answers them as RFC 9457 problem documents. One middleware outside it,
`error_shapes`, gives two surfaces the shape their real clients read:

- under `/beta` (Graph), every error (401, 400, 404, 405, 409, 413, 415, 503, ...):

      {"error": {"code": "BadRequest", "message": "<detail>", "target": "<field>",
                 "innerError": {"code": "<dcemu kind>", "date": "...", "request-id": "...",
                                "client-request-id": "...", <other problem extensions>}}}

  `code` is Graph's for the HTTP status (`GRAPH_CODES`), which Graph SDKs read; the dcemu kind
  is the more specific `innerError.code`. Every `/beta` answer carries `request-id` and
  `client-request-id` headers (the client's `client-request-id` is echoed).
- the token endpoint (`/{tenant}/oauth2/v2.0/token`), the identity platform's shape:

      {"error": "invalid_client", "error_description": "AADSTS7000215: ...\\r\\nTrace ID: ...",
       "error_codes": [7000215], "timestamp": "...", "trace_id": "...", "correlation_id": "..."}

Headers of the problem answer (`WWW-Authenticate`, `Allow`, `Retry-After`) are kept. The
device channel and `/admin` keep problem documents.

Approximation: Graph's top-level codes are documented only loosely; `GRAPH_CODES` uses the names
Graph services commonly answer (`BadRequest`, `ResourceNotFound`, `InvalidAuthenticationToken`,
...), and `UnknownError` for the rest.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware

from servicekit.auth import is_under
from servicekit.problems import Handler
from trust_store.clock import Clock
from trust_store.problems import PROBLEM_JSON, TYPE_BASE
from trust_store.randomness import Randomness

from .fields import JsonObject
from .identity import GRAPH_PREFIX, is_token_path

#: Graph's error code for each HTTP status an error may have.
GRAPH_CODES = {
    400: "BadRequest",
    401: "InvalidAuthenticationToken",
    403: "Forbidden",
    404: "ResourceNotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Gone",
    411: "LengthRequired",
    413: "RequestEntityTooLarge",
    414: "RequestUriTooLong",
    415: "UnsupportedMediaType",
    429: "TooManyRequests",
    431: "RequestHeaderFieldsTooLarge",
    500: "InternalServerError",
    501: "NotImplemented",
    503: "ServiceUnavailable",
}
UNKNOWN_CODE = "UnknownError"
#: Problem kinds that are RFC 6749 error codes (dashes for underscores).
OAUTH_KINDS = frozenset(
    {"invalid-request", "invalid-client", "unsupported-grant-type", "invalid-scope"}
)
#: Problem members that are not extensions.
_MEMBERS = ("type", "title", "status", "detail", "instance")
#: A `client-request-id` the server echoes (Graph and the identity platform expect a GUID).
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
#: Headers of the problem answer that the reshaped answer does not copy.
_BODY_HEADERS = ("Content-Type", "Content-Length")


def _new_id(rand: Randomness) -> str:
    return str(uuid.UUID(bytes=rand.token_bytes(16), version=4))


def _client_request_id(request: web.Request) -> str | None:
    given = request.headers.get("client-request-id", "")
    return given if _CLIENT_REQUEST_ID.fullmatch(given) else None


def _problem(resp: web.StreamResponse) -> dict[str, Any] | None:
    """The problem document `resp` answers, if it is one."""
    if resp.status < 400 or not isinstance(resp, web.Response):
        return None
    body = resp.body
    if resp.content_type != PROBLEM_JSON or not isinstance(body, bytes):
        return {"status": resp.status, "detail": resp.reason or ""}
    try:
        doc = json.loads(body)
    except ValueError:
        return {"status": resp.status, "detail": resp.reason or ""}
    return doc if isinstance(doc, dict) else {"status": resp.status}


def _reshaped(resp: web.StreamResponse, body: JsonObject) -> web.Response:
    out = web.json_response(body, status=resp.status)
    for name, value in resp.headers.items():
        if name not in _BODY_HEADERS:
            out.headers.add(name, value)
    return out


def graph_error(doc: dict[str, Any], status: int, inner: JsonObject) -> JsonObject:
    """Graph's error body for a problem document (`inner`: date and request ids)."""
    kind = str(doc.get("type", "")).removeprefix(TYPE_BASE) or f"http-{status}"
    extensions = {k: v for k, v in doc.items() if k not in _MEMBERS}
    error: JsonObject = {
        "code": GRAPH_CODES.get(status, UNKNOWN_CODE),
        "message": str(doc.get("detail") or doc.get("title") or ""),
    }
    field = extensions.pop("field", None)
    if field is not None:
        error["target"] = field
    error["innerError"] = {"code": kind, **inner, **extensions}
    return {"error": error}


def oauth_error(
    doc: dict[str, Any], status: int, trace_id: str, correlation_id: str, at: str
) -> JsonObject:
    """The identity platform's error body for a problem document."""
    kind = str(doc.get("type", "")).removeprefix(TYPE_BASE)
    if kind in OAUTH_KINDS:
        error = kind.replace("-", "_")
    elif status < 500:
        error = "invalid_request"
    else:
        error = "temporarily_unavailable" if status == 503 else "server_error"
    detail = str(doc.get("detail") or doc.get("title") or "")
    number = doc.get("aadsts")
    if isinstance(number, int):
        detail = f"AADSTS{number}: {detail}"
    body: JsonObject = {
        "error": error,
        "error_description": f"{detail}\r\nTrace ID: {trace_id}\r\nCorrelation ID: "
        f"{correlation_id}\r\nTimestamp: {at}",
    }
    if isinstance(number, int):
        body["error_codes"] = [number]
    body.update(timestamp=at, trace_id=trace_id, correlation_id=correlation_id)
    return body


def error_shapes(clock: Clock, rand: Randomness) -> Middleware:
    """The middleware giving `/beta` Graph's errors and request ids, and the token endpoint the
    identity platform's errors (`rand`: where request, trace and correlation ids come from)."""

    @web.middleware
    async def shapes(request: web.Request, handler: Handler) -> web.StreamResponse:
        if is_under(request.path, GRAPH_PREFIX):
            return await _graph(request, handler)
        if is_token_path(request.path):
            return await _oauth(request, handler)
        return await handler(request)

    async def _graph(request: web.Request, handler: Handler) -> web.StreamResponse:
        request_id = _new_id(rand)
        client_request_id = _client_request_id(request) or request_id
        resp = await handler(request)
        doc = _problem(resp)
        if doc is not None:
            inner = {
                "date": clock.now().strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": request_id,
                "client-request-id": client_request_id,
            }
            resp = _reshaped(resp, graph_error(doc, resp.status, inner))
        resp.headers["request-id"] = request_id
        resp.headers["client-request-id"] = client_request_id
        return resp

    async def _oauth(request: web.Request, handler: Handler) -> web.StreamResponse:
        resp = await handler(request)
        doc = _problem(resp)
        if doc is None:
            return resp
        trace_id = _new_id(rand)
        correlation_id = _client_request_id(request) or _new_id(rand)
        at = clock.now().strftime("%Y-%m-%d %H:%M:%SZ")
        out = _reshaped(resp, oauth_error(doc, resp.status, trace_id, correlation_id, at))
        out.headers["Cache-Control"] = "no-store"
        out.headers["Pragma"] = "no-cache"
        return out

    return shapes


#: The component schema of Graph's error body (OpenAPI).
GRAPH_ERROR_SCHEMA: JsonObject = {
    "type": "object",
    "description": "Graph's error: code from the HTTP status, the dcemu problem kind as "
    "innerError.code",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "innerError"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "target": {"type": "string"},
                "innerError": {
                    "type": "object",
                    "required": ["code", "date", "request-id"],
                    "properties": {
                        "code": {"type": "string"},
                        "date": {"type": "string"},
                        "request-id": {"type": "string", "format": "uuid"},
                        "client-request-id": {"type": "string"},
                    },
                },
            },
        }
    },
}
