"""The issuer's own HTTPS client: OCSP queries to the card's responder and key recovery at the
card authority. It trusts the lab TLS root and, for escrow, presents the issuer's TLS client
credential (mutual TLS)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import aiohttp
from cryptography import x509

from trust_store import tls
from trust_store.labpki import ServerCredential


class UpstreamError(Exception):
    """The other server could not be reached or did not answer in time."""


@dataclass(frozen=True)
class UpstreamAnswer:
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise UpstreamError(f"answer is not JSON: {e}") from e


class Upstream:
    def __init__(
        self,
        anchors: list[x509.Certificate],
        client_credential: ServerCredential,
        timeout: dt.timedelta,
    ) -> None:
        self._server_auth = tls.client_context(anchors)
        self._mutual = tls.client_context(
            anchors, client_chain=client_credential.chain, client_key=client_credential.key
        )
        self._timeout = aiohttp.ClientTimeout(total=timeout.total_seconds())
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def post(
        self, url: str, body: bytes, content_type: str, *, mutual: bool = False
    ) -> UpstreamAnswer:
        ctx = self._mutual if mutual else self._server_auth
        try:
            async with self._client().post(
                url, data=body, headers={"Content-Type": content_type}, ssl=ctx
            ) as resp:
                return UpstreamAnswer(resp.status, resp.content_type, await resp.read())
        except (TimeoutError, aiohttp.ClientError, ValueError) as e:
            raise UpstreamError(f"{url}: {type(e).__name__}: {e}") from e

    async def post_json(self, url: str, doc: dict[str, Any], *, mutual: bool) -> UpstreamAnswer:
        return await self.post(url, json.dumps(doc).encode(), "application/json", mutual=mutual)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
