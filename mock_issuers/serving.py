"""Starting a mock server on loopback and telling it the URL it got.

runner, url = await serve(app, ssl_context)   # binds 127.0.0.1, port 0; sets the public URL
...
await runner.cleanup()
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence

from aiohttp import web
from cryptography import x509

from servicekit.webapp import RUNNER_LIMITS
from trust_store import tls
from trust_store.labpki import ServerCredential

from .settings import PublicUrl

PUBLIC_URL = web.AppKey("public_url", PublicUrl)


def public_url_of(app: web.Application) -> PublicUrl:
    """The holder of an app's public base URL: call `.set("https://127.0.0.1:<port>")` once
    the server is bound (the holder is also `settings.public_url`)."""
    return app[PUBLIC_URL]


def https_context(
    credential: ServerCredential, client_cas: Sequence[x509.Certificate]
) -> ssl.SSLContext:
    return tls.server_context(credential.chain, credential.key, client_cas=client_cas)


async def serve(
    app: web.Application, ssl_context: ssl.SSLContext, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, str]:
    """Run `app` over HTTPS with AppRunner + TCPSite, set its public URL, return both. The
    runner has the servers' parser limits (`servicekit.webapp.RUNNER_LIMITS`)."""
    runner = web.AppRunner(app, access_log=None, **RUNNER_LIMITS)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    url = f"https://{shown}:{bound_port}"
    public_url_of(app).set(url)
    return runner, url
