"""RFC 9457 (formerly 7807) problem documents: one type for every server error, and the
client-side mapping back to typed exceptions.

Servers raise `Problem` (or a subclass made by `problem_type`) and one aiohttp middleware turns it
into `application/problem+json`; aiohttp's own HTTP errors (404, 405, 413, ...) are converted too,
so no server ever answers an error in another shape.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from aiohttp import web

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "urn:dcemu:problem:"

log = logging.getLogger(__name__)


class Problem(Exception):
    """A problem document. `kind` becomes the type URI `urn:dcemu:problem:<kind>`."""

    kind: ClassVar[str] = "internal"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions

    @property
    def type_uri(self) -> str:
        return TYPE_BASE + self.kind

    def to_json(self, instance: str | None = None) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "type": self.type_uri,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            doc["instance"] = instance
        doc.update(self.extensions)
        return doc

    def response(self, instance: str | None = None) -> web.Response:
        return web.Response(
            status=self.status,
            body=json.dumps(self.to_json(instance)).encode(),
            content_type=PROBLEM_JSON,
        )


PROBLEM_TYPES: dict[str, type[Problem]] = {}


def problem_type(kind: str, status: int, title: str) -> type[Problem]:
    """Declare (once) and register a kind of problem."""
    if kind in PROBLEM_TYPES:
        existing = PROBLEM_TYPES[kind]
        if (existing.status, existing.title) != (status, title):
            raise ValueError(f"problem kind {kind!r} declared twice differently")
        return existing
    cls = type(
        "".join(p.title() for p in kind.replace("-", "_").split("_")) + "Problem",
        (Problem,),
        {"kind": kind, "status": status, "title": title},
    )
    PROBLEM_TYPES[kind] = cls
    return cls


PROBLEM_TYPES["internal"] = Problem
BadRequest = problem_type("malformed", 400, "Malformed request")
Unauthorized = problem_type("unauthorized", 401, "Authentication required")
Forbidden = problem_type("forbidden", 403, "Forbidden")
NotFound = problem_type("not-found", 404, "Not found")
MethodNotAllowed = problem_type("method-not-allowed", 405, "Method not allowed")
Conflict = problem_type("conflict", 409, "Conflict")
Gone = problem_type("gone", 410, "Gone")
TooLarge = problem_type("too-large", 413, "Request body too large")
UnsupportedMedia = problem_type("unsupported-media-type", 415, "Unsupported media type")
TooManyRequests = problem_type("rate-limited", 429, "Too many requests")
Unavailable = problem_type("unavailable", 503, "Service unavailable")

_HTTP_TO_PROBLEM: dict[int, type[Problem]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    413: TooLarge,
    415: UnsupportedMedia,
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Problem as p:
        return p.response(request.path)
    except web.HTTPException as e:
        if e.status < 400:
            raise
        cls = _HTTP_TO_PROBLEM.get(e.status)
        if cls is None:
            cls = problem_type(f"http-{e.status}", e.status, e.reason)
        return cls(e.text or e.reason).response(request.path)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return Problem("the server failed; see its log").response(request.path)


async def read_json(request: web.Request) -> dict[str, Any]:
    """The JSON object body of a request, or a typed 400/415 problem."""
    if request.content_type not in ("application/json", "application/merge-patch+json"):
        raise UnsupportedMedia(
            f"expected application/json, got {request.content_type or 'nothing'}"
        )
    return json_object(await request.read())  # aiohttp enforces client_max_size here (413)


def json_object(raw: bytes) -> dict[str, Any]:
    """A request body parsed as a JSON object, or a typed 400 problem."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise BadRequest(f"body is not valid JSON: {e}") from e
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    return body


# --- client side ---------------------------------------------------------------------------------


class RemoteProblem(Exception):
    """A problem document received from a server, as a typed exception on the client side."""

    def __init__(self, status: int, doc: dict[str, Any]) -> None:
        self.status = status
        self.doc = doc
        self.type_uri = str(doc.get("type", "about:blank"))
        self.kind = self.type_uri.removeprefix(TYPE_BASE)
        self.title = str(doc.get("title", ""))
        self.detail = str(doc.get("detail", ""))
        super().__init__(f"{status} {self.kind}: {self.detail or self.title}")


def parse_problem(status: int, content_type: str, body: bytes) -> RemoteProblem:
    doc: dict[str, Any]
    try:
        parsed = json.loads(body) if body else {}
        doc = parsed if isinstance(parsed, dict) else {"detail": str(parsed)}
    except ValueError:
        doc = {"detail": body[:200].decode(errors="replace")}
    if content_type != PROBLEM_JSON:
        doc.setdefault("type", f"{TYPE_BASE}http-{status}")
    return RemoteProblem(status, doc)
