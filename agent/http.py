"""The agent's HTTP transport: one shared client session for many emulated parties.

Devices do not own sessions (thousands of them would each hold a connector); they borrow the
transport the lab gives them. Mutual-TLS parties (the workstation with a card) build their own
short-lived session because the TLS client identity is per connection.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from typing import Any

import aiohttp
from cryptography import x509

from trust_store.problems import RemoteProblem, parse_problem
from trust_store.tls import client_context

from .errors import IssuerRefusedError


class Transport:
    def __init__(self, anchors: Sequence[x509.Certificate], *, limit: int = 200) -> None:
        self.anchors = list(anchors)
        self.ssl = client_context(self.anchors)
        self._session: aiohttp.ClientSession | None = None
        self._limit = limit

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=self.ssl, limit=self._limit),
                timeout=aiohttp.ClientTimeout(total=60),
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
        """Send a request; a 4xx/5xx answer becomes `IssuerRefusedError` with the problem."""
        sess = session or self.session
        async with sess.request(method, url, **kw) as resp:
            body = await resp.read()
            if resp.status >= 400:
                raise IssuerRefusedError(
                    parse_problem(resp.status, resp.content_type, body), during
                )
            return resp.status, resp.content_type, body

    async def json(self, method: str, url: str, *, during: str, **kw: Any) -> Any:
        import json

        _, _, body = await self.request(method, url, during=during, **kw)
        return json.loads(body) if body else None


def mtls_session(ctx: ssl.SSLContext) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=ctx, limit=4),
        timeout=aiohttp.ClientTimeout(total=60),
    )


__all__ = ["RemoteProblem", "Transport", "mtls_session"]
