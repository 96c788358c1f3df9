"""RFC 9457 (formerly 7807) problem documents, the server half: one exception type for every
server error, per-server catalogues of problem kinds, and the middleware that answers them.

Every server package declares its kinds at import time in its own `ProblemCatalog`, built on
`GENERIC` (the kinds every server answers: `malformed`, `not-found`, `too-large`, ...). Two servers
may declare the same kind name independently; a catalogue refuses one kind declared twice
differently. Nothing is declared while serving: an aiohttp HTTP error that no generic kind maps
(411, 414, 431, ...) is answered as an `HttpStatusProblem`, kind `http-<status>`, built per
response. The client half (`RemoteProblem`, `parse_problem`) is `trust_store.problems`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

from aiohttp import web

from trust_store.problems import PROBLEM_JSON, TYPE_BASE

from . import jsonbody

log = logging.getLogger(__name__)

_KIND = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
#: Kinds of this shape are answered for HTTP errors no catalogue maps; nobody declares them.
HTTP_KIND_PREFIX = "http-"


class Problem(Exception):
    """A problem document. `kind` becomes the type URI `urn:dcemu:problem:<kind>`.

    Raise a kind a catalogue declared (`KINDS.declare(...)` returns a subclass); a bare `Problem`
    is the 500 `internal` answer."""

    kind: str = "internal"
    status: int = 500
    title: str = "Internal error"

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

    def response(
        self, instance: str | None = None, headers: Mapping[str, str] | None = None
    ) -> web.Response:
        """The answer; `headers` are added to it (`Allow` of a 405, `Retry-After`, ...)."""
        resp = web.Response(
            status=self.status,
            body=json.dumps(self.to_json(instance)).encode(),
            content_type=PROBLEM_JSON,
        )
        if headers:
            resp.headers.update(headers)
        if self.status in RETRY_LATER and "Retry-After" not in resp.headers:
            # RFC 9110 §10.2.3: tell a client when to come back (clients back off at least so).
            resp.headers["Retry-After"] = str(DEFAULT_RETRY_AFTER_S)
        return resp


#: Statuses that mean "try again later", and the `Retry-After` they carry unless set.
RETRY_LATER = frozenset({429, 503})
DEFAULT_RETRY_AFTER_S = 1


class HttpStatusProblem(Problem):
    """An HTTP error status that no catalogue names (aiohttp's 411, 414, 431, ...): kind
    `http-<status>` and aiohttp's reason phrase, on this instance only."""

    def __init__(self, status: int, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = f"{HTTP_KIND_PREFIX}{status}"
        self.status = status
        self.title = reason


class ProblemCatalog:
    """The problem kinds one server answers, declared at import time.

    `bases` are catalogues whose kinds this one answers too (every server's builds on `GENERIC`);
    looking a kind up sees through to them, and declaring one of their kinds again is allowed
    only with the same status and title (it returns their class)."""

    def __init__(self, name: str, *bases: ProblemCatalog) -> None:
        self.name = name
        self.bases = bases
        self._own: dict[str, type[Problem]] = {}

    def declare(self, kind: str, status: int, title: str) -> type[Problem]:
        """The `Problem` subclass of `kind`, made once; the same kind declared again must say
        the same status and title (else `ValueError`)."""
        if not _KIND.fullmatch(kind) or kind.startswith(HTTP_KIND_PREFIX):
            raise ValueError(
                f"{self.name}: problem kind {kind!r} must be lower-case-with-dashes and not "
                f"start with {HTTP_KIND_PREFIX!r}"
            )
        if not 400 <= status <= 599:
            raise ValueError(f"{self.name}: problem kind {kind!r} has status {status}, not 4xx/5xx")
        existing = self.get(kind)
        if existing is not None:
            if (existing.status, existing.title) != (status, title):
                raise ValueError(
                    f"{self.name}: problem kind {kind!r} declared twice differently "
                    f"({existing.status} {existing.title!r}, then {status} {title!r})"
                )
            return existing
        return self._add(_problem_class(kind, status, title))

    def _add(self, cls: type[Problem]) -> type[Problem]:
        self._own[cls.kind] = cls
        return cls

    def get(self, kind: str) -> type[Problem] | None:
        if kind in self._own:
            return self._own[kind]
        for base in self.bases:
            found = base.get(kind)
            if found is not None:
                return found
        return None

    def __getitem__(self, kind: str) -> type[Problem]:
        found = self.get(kind)
        if found is None:
            raise KeyError(f"{self.name} declares no problem kind {kind!r}")
        return found

    def __contains__(self, kind: object) -> bool:
        return isinstance(kind, str) and self.get(kind) is not None

    def kinds(self) -> dict[str, type[Problem]]:
        """Every kind this catalogue answers, its bases' first."""
        every: dict[str, type[Problem]] = {}
        for base in self.bases:
            every.update(base.kinds())
        every.update(self._own)
        return every

    def __iter__(self) -> Iterator[str]:
        return iter(self.kinds())

    def __len__(self) -> int:
        return len(self.kinds())

    def __repr__(self) -> str:
        return f"ProblemCatalog({self.name!r}, {len(self._own)} own kinds)"


def _problem_class(kind: str, status: int, title: str) -> type[Problem]:
    name = "".join(p.title() for p in kind.split("-")) + "Problem"
    return type(name, (Problem,), {"kind": kind, "status": status, "title": title})


#: The kinds every server answers (docs/protocol.md, "Problem kinds used by every server").
GENERIC = ProblemCatalog("servicekit")
GENERIC._add(Problem)
BadRequest = GENERIC.declare("malformed", 400, "Malformed request")
Unauthorized = GENERIC.declare("unauthorized", 401, "Authentication required")
Forbidden = GENERIC.declare("forbidden", 403, "Forbidden")
NotFound = GENERIC.declare("not-found", 404, "Not found")
MethodNotAllowed = GENERIC.declare("method-not-allowed", 405, "Method not allowed")
Conflict = GENERIC.declare("conflict", 409, "Conflict")
Gone = GENERIC.declare("gone", 410, "Gone")
TooLarge = GENERIC.declare("too-large", 413, "Request body too large")
UnsupportedMedia = GENERIC.declare("unsupported-media-type", 415, "Unsupported media type")
TooManyRequests = GENERIC.declare("rate-limited", 429, "Too many requests")
Unavailable = GENERIC.declare("unavailable", 503, "Service unavailable")
FaultInjected = GENERIC.declare("fault-injected", 503, "Fault injected")

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


#: Headers of an aiohttp HTTP error that its problem answer keeps (RFC 9110: a 405 MUST list
#: the allowed methods in `Allow`; 401 challenges; 429/503 back-off).
KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


def http_problem(error: web.HTTPException) -> Problem:
    """The problem answering one of aiohttp's HTTP errors (status 400 and above)."""
    detail = error.text or error.reason
    cls = _HTTP_TO_PROBLEM.get(error.status)
    return cls(detail) if cls is not None else HttpStatusProblem(error.status, error.reason, detail)


def http_problem_response(error: web.HTTPException, instance: str) -> web.Response:
    """`http_problem(error)` answered, with the error's `KEPT_HEADERS`."""
    kept = {name: error.headers[name] for name in KEPT_HEADERS if name in error.headers}
    return http_problem(error).response(instance, kept)


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Problem as p:
        return p.response(request.path)
    except web.HTTPException as e:
        if e.status < 400:
            raise
        return http_problem_response(e, request.path)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return Problem("the server failed; see its log").response(request.path)


async def read_json(request: web.Request) -> dict[str, Any]:
    """The JSON object body of a request, or a typed 400/413/415 problem."""
    if request.content_type not in ("application/json", "application/merge-patch+json"):
        raise UnsupportedMedia(
            f"expected application/json, got {request.content_type or 'nothing'}"
        )
    return json_object(await request.read())  # aiohttp enforces client_max_size here (413)


def json_object(raw: bytes) -> dict[str, Any]:
    """A request body parsed as a JSON object by `servicekit.jsonbody` (UTF-8, bounded depth and
    numbers, no lone surrogates), or a typed 400 problem."""
    try:
        body = jsonbody.loads(raw)
    except jsonbody.JsonRefused as e:
        raise BadRequest(str(e)) from None
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    return body
