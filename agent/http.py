"""The agent's HTTP transport: one shared client session for many emulated parties, and the one
place where every failure of an exchange becomes a typed `ServiceError`.

Devices do not own sessions (thousands of them would each hold a connector); they borrow the
transport the lab gives them. Mutual-TLS parties (the workstation with a card) build their own
short-lived session because the TLS client identity is per connection, and pass it in.

Like certbot's `acme.client.ClientNetwork`, the transport keeps protocol code free of aiohttp:
a refusal (any 4xx/5xx, with or without a problem document), an unreachable server, a timeout,
a TLS failure, a connection lost mid-answer, or a 2xx body that is not the JSON the caller asked
for, all raise a subclass of `agent.errors.ServiceError` whose `kind` is a `ProblemKind`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import json as jsonlib
import ssl
from collections.abc import Sequence
from typing import Any

import aiohttp
from cryptography import x509

from trust_store.problems import RemoteProblem, parse_problem
from trust_store.tls import client_context

from .errors import (
    ConnectionLostError,
    MalformedAnswerError,
    ServiceError,
    ServiceRefusedError,
    ServiceTimeoutError,
    ServiceUnreachableError,
    TlsFailureError,
)
from .problems import ProblemKind

#: Longest `Retry-After` the agent honours (a hostile or broken server cannot park a device).
MAX_RETRY_AFTER = 3600.0


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """`Retry-After` (RFC 9110 §10.2.3) as seconds: delta-seconds or an HTTP date; None when
    absent or unreadable; capped at `MAX_RETRY_AFTER`."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    now = now or dt.datetime.now(dt.UTC)
    return min(max((when - now).total_seconds(), 0.0), MAX_RETRY_AFTER)


def exchange_error(exc: BaseException, method: str, url: str, during: str) -> ServiceError:
    """The typed error for an exchange that produced no usable answer."""
    where = f"{method} {url}"
    if isinstance(exc, aiohttp.InvalidURL):
        return ServiceUnreachableError(
            ProblemKind.UNREACHABLE, f"{where}: not a usable URL ({exc})", during
        )
    if isinstance(
        exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError | ssl.SSLError
    ):
        return TlsFailureError(ProblemKind.TLS_FAILURE, f"{where}: TLS failed: {exc}", during)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ServiceUnreachableError(
            ProblemKind.UNREACHABLE, f"{where}: cannot connect: {exc.os_error}", during
        )
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return ServiceTimeoutError(ProblemKind.TIMEOUT, f"{where}: no answer in time", during)
    if isinstance(
        exc,
        aiohttp.ServerDisconnectedError
        | aiohttp.ClientPayloadError
        | aiohttp.ClientOSError
        | ConnectionError,
    ):
        return ConnectionLostError(
            ProblemKind.CONNECTION_LOST, f"{where}: connection lost: {exc}", during
        )
    if isinstance(exc, OSError):
        return ServiceUnreachableError(ProblemKind.UNREACHABLE, f"{where}: {exc}", during)
    return MalformedAnswerError(f"{where}: {type(exc).__name__}: {exc}", during)


#: What `Transport.request` turns into a `ServiceError` (everything an exchange can raise).
EXCHANGE_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError)


class Transport:
    def __init__(
        self,
        anchors: Sequence[x509.Certificate],
        *,
        limit: int = 200,
        timeout: float = 60.0,
    ) -> None:
        self.anchors = list(anchors)
        self.ssl = client_context(self.anchors)
        self._session: aiohttp.ClientSession | None = None
        self._limit = limit
        self._timeout = timeout

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=self.ssl, limit=self._limit),
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def request(
        self,
        method: str,
        url: str,
        *,
        during: str,
        session: aiohttp.ClientSession | None = None,
        **kw: Any,
    ) -> tuple[int, str, bytes]:
        """Send a request; the answer's status, media type and body. Any failure is a
        `ServiceError` (a 4xx/5xx answer: `ServiceRefusedError` with the problem document)."""
        sess = session or self.session
        try:
            async with sess.request(method, url, **kw) as resp:
                body = await resp.read()
                status, ctype = resp.status, resp.content_type
                retry_after = retry_after_seconds(resp.headers.get("Retry-After"))
        except EXCHANGE_ERRORS as e:
            raise exchange_error(e, method, url, during) from e
        if status >= 400:
            raise ServiceRefusedError(
                parse_problem(status, ctype, body), during, retry_after=retry_after
            )
        return status, ctype, body

    async def json(self, method: str, url: str, *, during: str, **kw: Any) -> Any:
        """`request`, then the body as JSON (None when empty); a body that is not JSON is a
        `MalformedAnswerError`."""
        _, _, body = await self.request(method, url, during=during, **kw)
        if not body:
            return None
        try:
            return jsonlib.loads(body)
        except (ValueError, UnicodeDecodeError) as e:
            raise MalformedAnswerError(f"{url}: the answer is not JSON ({e})", during) from e

    async def json_object(self, method: str, url: str, *, during: str, **kw: Any) -> dict[str, Any]:
        """`json`, which must be an object; anything else is a `MalformedAnswerError`."""
        doc = await self.json(method, url, during=during, **kw)
        if not isinstance(doc, dict):
            raise MalformedAnswerError(f"{url}: expected a JSON object, got {doc!r:.80}", during)
        return doc


def mtls_session(ctx: ssl.SSLContext) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=ctx, limit=4),
        timeout=aiohttp.ClientTimeout(total=60),
    )


__all__ = ["RemoteProblem", "Transport", "mtls_session"]
