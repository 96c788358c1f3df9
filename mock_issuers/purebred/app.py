"""The Purebred app factory: two aiohttp applications over one shared `PurebredService`.

- `console`: the enterprise listener (agent console, user portal, OCSP/CRL, `/admin/`), served
  like any issuer on 127.0.0.1 with optional client certificates (card sign-in by mutual TLS).
- `device`: the device API, served ONLY on the on-premises listener (`settings.on_premises_host`,
  127.0.0.2 by default) with a certificate for that address.

Approximation of "Purebred answers only devices on the on-premises network": the device API is
simply not served on the enterprise address, and the device side (agent/purebred_app.py) refuses
to open a connection to an on-premises address unless the device is on corporate Wi-Fi or VPN.
Nothing the device *says* (headers, body fields) decides it. Both listeners are loopback, so a
client that ignores the device-side rule still gets through: the separation is a lab model of a
routed network, not an enforcement boundary.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from servicekit.auth import new_secret
from servicekit.webapp import SERVER_STATE, ServerState, base_app
from trust_store.clock import Clock
from trust_store.labpki import LabPKI
from trust_store.randomness import Randomness

from ..issuer.app import issuer_ssl_context
from ..issuer.card_recheck import add_card_recheck, recheck_middleware
from ..issuer.service import ISSUER_SERVICE
from ..persistence import Storage, committing, storage_or_memory
from ..revocation import add_revocation_routes
from ..serving import PUBLIC_URL, https_context, serve
from ..settings import PublicUrl
from .admin_routes import add_admin_routes
from .console_routes import add_console_routes
from .device_routes import add_device_routes
from .issuer import PurebredIssuer
from .portal_routes import add_portal_routes
from .service import PUREBRED_SERVICE, PurebredService
from .settings import PurebredSettings
from .spec import console_document, device_document

NAME = PurebredIssuer.name
#: Common name of the on-premises listener's HTTPS certificate.
DEVICE_LISTENER_NAME = "purebred on-premises"


@dataclass(frozen=True)
class PurebredApps:
    console: web.Application
    device: web.Application
    service: PurebredService

    @property
    def admin_token(self) -> str:
        """The admin token both listeners require on `/admin/*`."""
        return str(self.console[SERVER_STATE].admin_token)


def create_apps(
    settings: PurebredSettings,
    pki: LabPKI,
    clock: Clock,
    rand: Randomness,
    storage: Storage | None = None,
) -> PurebredApps:
    """Build both listeners' apps over one service, rebuilt from `storage` (memory when None;
    each listener commits what a request changed before its answer). Its derived CA hierarchy is `pki.derived["purebred"]`
    (added when missing). Set `settings.public_url` and `settings.device_url` once bound
    (`start` does both); `settings.card_authority_url` must point at a card authority whose
    escrow clients include "purebred"."""
    service = PurebredService(settings, pki, clock, rand, storage_or_memory(storage))
    # One admin token for both listeners (registering agents is an admin action).
    admin_token = settings.admin_token or new_secret(rand.child("admin-token"))

    console = _listener_app(
        service, "console", console_document(), settings.public_url, admin_token
    )
    add_console_routes(console)
    add_portal_routes(console)
    add_admin_routes(console)
    add_revocation_routes(console, service.core.hierarchy)
    recheck = add_card_recheck(console, service.core)

    async def close(_: web.Application) -> None:
        await service.close()

    console.on_cleanup.append(close)

    device = _listener_app(service, "device", device_document(), settings.device_url, admin_token)
    add_device_routes(device)
    device.middlewares.append(recheck_middleware(recheck))
    return PurebredApps(console, device, service)


def _listener_app(
    service: PurebredService,
    listener: str,
    openapi: dict[str, Any],
    public_url: PublicUrl,
    admin_token: str,
) -> web.Application:
    """One listener's app over the shared service (its own history, faults and document; a
    reset of either resets the service; both need the same admin token)."""
    state = ServerState(
        f"{NAME}-{listener}", service.clock, service.rand, openapi=openapi, admin_token=admin_token
    )
    app = base_app(state, body_limit=service.settings.body_limit, outer=committing(service.storage))
    app[PUREBRED_SERVICE] = service
    app[ISSUER_SERVICE] = service.core
    app[PUBLIC_URL] = public_url
    state.reset_hooks.append(service.reset)
    return app


def console_ssl_context(pki: LabPKI) -> ssl.SSLContext:
    """Like every issuer: lab TLS root certificate, optional client certificates (cards)."""
    return issuer_ssl_context(pki, NAME)


def device_ssl_context(pki: LabPKI, host: str) -> ssl.SSLContext:
    """A lab-TLS-root certificate for the on-premises address; no client certificates."""
    return https_context(pki.server_credential(DEVICE_LISTENER_NAME, ip_addresses=(host,)), [])


@dataclass
class PurebredServers:
    """Both listeners, running."""

    apps: PurebredApps
    console_url: str
    device_url: str
    runners: list[web.AppRunner] = field(default_factory=list)

    async def stop(self) -> None:
        for runner in reversed(self.runners):
            await runner.cleanup()
        self.runners.clear()


async def start(apps: PurebredApps, pki: LabPKI) -> PurebredServers:
    """Serve the console on 127.0.0.1 and the device API on the on-premises host, each on a
    free port, and set both public URLs."""
    host = apps.service.settings.on_premises_host
    console_runner, console_url = await serve(apps.console, console_ssl_context(pki))
    try:
        device_runner, device_url = await serve(apps.device, device_ssl_context(pki, host), host)
    except BaseException:
        await console_runner.cleanup()
        raise
    return PurebredServers(apps, console_url, device_url, [console_runner, device_runner])
