"""App authentication with the derived credential: a managed app on the device asks the store for
the derived PIV Authentication identity it may use and presents it to a web app by mutual TLS.

Whether the app may use the identity is the platform store's rule (iOS: the app is entitled to the
keychain access group Company Portal installs into; Android: a grant for its package). A refusal
is an `AppAccessDeniedError` raised before any connection is made.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from cryptography import x509

from trust_store.clock import Clock
from trust_store.errors import AccessDeniedError
from trust_store.problems import RemoteProblem, parse_problem
from trust_store.stores import CertificateStore, CredentialRole, Identity
from trust_store.tls import client_context

from .errors import AgentError


class AppAuthError(AgentError):
    code = "app-auth-error"


class AppAccessDeniedError(AppAuthError, AccessDeniedError):
    """The store does not let this app use the derived credential (not entitled, no grant)."""

    code = "credential-access-denied"


class NoCredentialError(AppAuthError):
    """The store holds no (valid) derived PIV Authentication credential."""

    code = "no-derived-credential"


class RelyingPartyRefusedError(AppAuthError):
    """The web app answered with a problem document (401, 403, 503, ...)."""

    def __init__(self, problem: RemoteProblem, url: str) -> None:
        super().__init__(f"{url}: {problem}")
        self.problem = problem
        self.status = problem.status
        self.code = problem.kind


class RelyingPartyUnreachableError(AppAuthError):
    """No TLS session: the web app is down, or refused the client certificate in the handshake
    (a certificate outside its trusted hierarchies)."""

    code = "rp-connection-failed"


@dataclass
class ManagedApp:
    """A managed app (iOS bundle id, Android package name) that signs in with the credential."""

    app_id: str
    store: CertificateStore
    #: Trust anchors for the web app's server certificate.
    anchors: Sequence[x509.Certificate]
    #: When set, identities outside their validity at `clock.now()` are not offered.
    clock: Clock | None = None
    timeout: float = 30.0
    _ctx: tuple[str, ssl.SSLContext] | None = field(default=None, init=False, repr=False)

    def identity(self) -> Identity:
        """The newest derived PIV Authentication identity this app may use."""
        try:
            found = self.store.identities(self.app_id, CredentialRole.PIV_AUTH)
        except AccessDeniedError as e:
            raise AppAccessDeniedError(
                f"{self.app_id} may not use the derived credential: {e}"
            ) from e
        if self.clock is not None:
            now = self.clock.now()
            found = [
                i for i in found if i.cert.not_valid_before_utc <= now <= i.cert.not_valid_after_utc
            ]
        if not found:
            raise NoCredentialError(
                f"{self.app_id}: the device holds no valid derived PIV Authentication credential"
            )
        return found[0]

    def ssl_context(self) -> ssl.SSLContext:
        """A client context presenting the identity and its chain (rebuilt when it changes)."""
        ident = self.identity()
        if self._ctx is None or self._ctx[0] != ident.thumbprint:
            chain = [ident.cert, *(c for c in ident.chain if c != ident.cert)]
            ctx = client_context(self.anchors, client_chain=chain, client_key=ident.key)
            self._ctx = (ident.thumbprint, ctx)
        return self._ctx[1]

    async def request(self, method: str, url: str, **kw: Any) -> tuple[int, str, bytes]:
        """One request over mutual TLS; an error answer becomes `RelyingPartyRefusedError`."""
        ctx = self.ssl_context()  # access is checked here, before any connection
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with (
                aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(ssl=ctx, limit=1), timeout=timeout
                ) as session,
                session.request(method, url, **kw) as resp,
            ):
                body = await resp.read()
                status, ctype = resp.status, resp.content_type
        except (TimeoutError, aiohttp.ClientError, ssl.SSLError, OSError) as e:
            raise RelyingPartyUnreachableError(
                f"{url}: no mutual-TLS session ({type(e).__name__}: {e}); the server is down or "
                "refused the client certificate"
            ) from e
        if status >= 400:
            raise RelyingPartyRefusedError(parse_problem(status, ctype, body), url)
        return status, ctype, body

    async def whoami(self, base_url: str) -> dict[str, Any]:
        """`GET /app/whoami` on a relying party: who it says the credential belongs to."""
        _, _, body = await self.request("GET", base_url.rstrip("/") + "/app/whoami")
        try:
            doc = json.loads(body)
        except ValueError as e:
            raise AppAuthError(f"{base_url}: whoami answer is not JSON: {e}") from e
        if not isinstance(doc, dict):
            raise AppAuthError(f"{base_url}: whoami answer is not a JSON object")
        return doc
