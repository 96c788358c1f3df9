"""Start the lab's servers on loopback in this process: the card authority, each issuer through
its plugin (`lab.issuers`), mock Intune and the mutual-TLS relying party, each over HTTPS with a
lab-TLS-root certificate.

Every server gets the lab's one admin token (its `/admin/*` needs it): `settings.admin_token`,
or one made up from the lab's randomness. Mock Intune's Graph client credentials are its
settings' or its own; the lab reads them back (`graph`) for the tenant administrator."""

from __future__ import annotations

import dataclasses
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from mock_intune import GRAPH_APP, GraphApp
from mock_intune.app import create_app as create_intune_app
from mock_issuers.card_authority import create_app as create_card_authority_app
from mock_issuers.card_authority import server_ssl_context as card_authority_ssl
from mock_issuers.settings import NotifyTargets, PublicUrl
from mock_rp import create_app as create_rp_app
from mock_rp import server_ssl_context as rp_ssl
from servicekit.auth import new_secret
from servicekit.storage import Storage, storage_at
from servicekit.webapp import RUNNER_LIMITS
from trust_store.clock import Clock
from trust_store.labpki import LabPKI
from trust_store.randomness import Randomness
from trust_store.tls import server_context

from .issuers import IssuerPlugin, ServerKit
from .issuers.base import serve_revocation
from .ports import PortBook
from .settings import LabSettings


async def serve(
    app: web.Application, ctx: ssl.SSLContext | None, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, str]:
    """Run `app` on `host` (HTTPS with `ctx`, plain HTTP without), on `port` (0: the kernel
    chooses), with the servers' parser limits; return the runner and the base URL."""
    runner = web.AppRunner(app, access_log=None, **RUNNER_LIMITS)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port, ssl_context=ctx).start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_host, bound_port = runner.addresses[0][:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    return runner, f"{'https' if ctx else 'http'}://{shown}:{bound_port}"


@dataclass
class LabServers:
    pki: LabPKI
    clock: Clock
    rand: Randomness
    settings: LabSettings = field(default_factory=LabSettings)
    card_authority_url: str = ""
    #: The issuers of this run, by name (each holds its settings and endpoint).
    issuers: dict[str, IssuerPlugin] = field(default_factory=dict)
    intune_url: str = ""
    rp_url: str = ""
    #: The admin token every server of this run requires on `/admin/*` (set by `start`).
    admin_token: str = field(default="", repr=False)
    #: Mock Intune's Graph API client credentials (set by `start`).
    graph: GraphApp | None = field(default=None, repr=False)
    #: The issuers the card authority tells of a terminated card (filled by `start`; clear it
    #: to leave termination to the issuers' periodic re-check).
    card_authority_notify: NotifyTargets = field(default_factory=NotifyTargets)
    #: Where each listener's port is kept (`dcemu serve`); None: ports chosen afresh.
    ports: PortBook | None = None
    #: Where the services keep their state (`<dir>/<service>.sqlite3`); None: in memory.
    state_dir: Path | None = None
    _runners: list[web.AppRunner] = field(default_factory=list)
    _storages: list[Storage] = field(default_factory=list)

    def storage(self, service: str) -> Storage:
        """The storage of `service` for this run (SQLite under `state_dir`, else memory);
        closed when the servers stop."""
        store = storage_at(self.state_dir, service)
        self._storages.append(store)
        return store

    @property
    def issuer_urls(self) -> dict[str, str]:
        """Issuer name → the URL devices enroll at (Purebred: its on-premises device API)."""
        return {n: p.endpoint.device_url for n, p in self.issuers.items()}

    @property
    def portal_urls(self) -> dict[str, str]:
        """Issuer name → the portal users sign in to with their card (Purebred: the console)."""
        return {n: p.endpoint.portal_url for n, p in self.issuers.items()}

    async def _serve(
        self,
        app: web.Application,
        ctx: ssl.SSLContext | None,
        host: str = "127.0.0.1",
        *,
        name: str,
    ) -> str:
        """Serve one listener, on the port it had before when the lab keeps its ports."""
        runner, url = await serve(app, ctx, host, self.ports.port(name) if self.ports else 0)
        self._runners.append(runner)
        if self.ports is not None:
            self.ports.record(name, runner.addresses[0][1])
        return url

    async def start(self, plugins: list[IssuerPlugin]) -> LabServers:
        names = frozenset(p.name for p in plugins)
        token = self.admin_token = self.settings.admin_token or new_secret(
            self.rand.child("admin-token")
        )
        ca_url = PublicUrl()
        ca_settings = dataclasses.replace(
            self.settings.card_authority,
            public_url=ca_url,
            escrow_clients=names,
            admin_token=token,
            notify=self.card_authority_notify,
        )
        ca_app = create_card_authority_app(
            ca_settings,
            self.pki,
            self.clock,
            self.rand.child("card-authority"),
            storage=self.storage("card-authority"),
        )
        self.card_authority_url = await self._serve(
            ca_app, card_authority_ssl(self.pki), name="card-authority"
        )
        ca_url.set(self.card_authority_url)
        await serve_revocation(self._serve, self.pki.piv, "card-authority")
        kit = ServerKit(
            self.pki,
            self.clock,
            self.rand,
            ca_url,
            self._serve,
            admin_token=token,
            storage=self.storage,
        )
        for plugin in plugins:
            await plugin.start(kit)
            self.issuers[plugin.name] = plugin
        # The card authority tells every issuer when a card is terminated (at the listener
        # with its admin routes: the portal; Purebred's console).
        self.card_authority_notify.set([p.endpoint.portal_url for p in plugins])
        intune_settings = dataclasses.replace(self.settings.intune, admin_token=token)
        intune = create_intune_app(
            intune_settings, self.clock, self.rand.child("intune"), storage=self.storage("intune")
        )
        self.graph = intune[GRAPH_APP]
        cred = self.pki.server_credential("intune")
        self.intune_url = await self._serve(
            intune, server_context(cred.chain, cred.key), name="intune"
        )
        rp_settings = dataclasses.replace(
            self.settings.rp, trusted_issuers=tuple(sorted(names)), admin_token=token
        )
        rp = create_rp_app(rp_settings, self.pki, self.clock, self.rand.child("mock-rp"))
        self.rp_url = await self._serve(rp, rp_ssl(self.pki, rp_settings), name="relying-party")
        return self

    async def stop(self) -> None:
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()
        for store in self._storages:
            store.close()
        self._storages.clear()
