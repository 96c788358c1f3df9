"""Start the lab's servers on loopback in this process: the card authority, one server per
derived-credential issuer (DISA Purebred: its console on 127.0.0.1 and its on-premises device API
on 127.0.0.2), mock Intune and the mutual-TLS relying party, each over HTTPS with a
lab-TLS-root certificate."""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from mock_intune.app import create_app as create_intune_app
from mock_intune.settings import ServerSettings as IntuneSettings
from mock_issuers import purebred
from mock_issuers.card_authority import create_app as create_card_authority_app
from mock_issuers.card_authority import server_ssl_context as card_authority_ssl
from mock_issuers.issuer import create_app as create_issuer_app
from mock_issuers.issuer import server_ssl_context as issuer_ssl
from mock_issuers.settings import CardAuthoritySettings, IssuerSettings, PublicUrl
from mock_rp import RpSettings
from mock_rp import create_app as create_rp_app
from mock_rp import server_ssl_context as rp_ssl
from trust_store.clock import Clock
from trust_store.labpki import LabPKI
from trust_store.randomness import Randomness
from trust_store.tls import server_context


async def serve(
    app: web.Application, ctx: ssl.SSLContext, host: str = "127.0.0.1"
) -> tuple[web.AppRunner, str]:
    """Run `app` over HTTPS on `host`, port chosen by the kernel; return the runner and base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, 0, ssl_context=ctx).start()
    bound_host, port = runner.addresses[0][:2]
    return runner, f"https://{bound_host}:{port}"


#: The lab's DISA Purebred registration agent (their own PIV card signs in to the console).
PUREBRED_AGENT_UPN = "pb.agent@corp.example"


@dataclass
class LabServers:
    pki: LabPKI
    clock: Clock
    rand: Randomness
    card_authority_url: str = ""
    #: Issuer name → the URL devices enroll at (Purebred: its on-premises device API).
    issuer_urls: dict[str, str] = field(default_factory=dict)
    #: Issuer name → the portal users sign in to with their card (and Purebred's agent console).
    portal_urls: dict[str, str] = field(default_factory=dict)
    intune_url: str = ""
    rp_url: str = ""
    _runners: list[web.AppRunner] = field(default_factory=list)

    async def start(self, issuers: tuple[str, ...]) -> LabServers:
        ca_url = PublicUrl()
        ca_app = create_card_authority_app(
            CardAuthoritySettings(public_url=ca_url, escrow_clients=frozenset(issuers)),
            self.pki,
            self.clock,
            self.rand.child("card-authority"),
        )
        runner, self.card_authority_url = await serve(ca_app, card_authority_ssl(self.pki))
        ca_url.set(self.card_authority_url)
        self._runners.append(runner)
        for name in issuers:
            self.pki.add_issuer(name)
            start_issuer = ISSUER_STARTERS.get(name, LabServers._start_portal_issuer)
            await start_issuer(self, name, ca_url)
        intune = create_intune_app(IntuneSettings(), self.clock, self.rand.child("intune"))
        cred = self.pki.server_credential("intune")
        runner, self.intune_url = await serve(intune, server_context(cred.chain, cred.key))
        self._runners.append(runner)
        rp_settings = RpSettings(trusted_issuers=issuers)
        rp = create_rp_app(rp_settings, self.pki, self.clock, self.rand.child("mock-rp"))
        runner, self.rp_url = await serve(rp, rp_ssl(self.pki, rp_settings))
        self._runners.append(runner)
        return self

    async def _start_portal_issuer(self, name: str, ca_url: PublicUrl) -> None:
        """An issuer of the portal + QR flow (Entrust, Intercede): one listener."""
        public = PublicUrl()
        app = create_issuer_app(
            name,
            IssuerSettings(card_authority_url=ca_url, public_url=public),
            self.pki,
            self.clock,
            self.rand.child(name),
        )
        runner, url = await serve(app, issuer_ssl(self.pki, name))
        public.set(url)
        self._runners.append(runner)
        self.issuer_urls[name] = self.portal_urls[name] = url

    async def _start_purebred(self, name: str, ca_url: PublicUrl) -> None:
        """DISA Purebred: the console/portal listener and the on-premises device API."""
        settings = purebred.PurebredSettings(
            card_authority_url=ca_url, registered_agents=frozenset({PUREBRED_AGENT_UPN})
        )
        apps = purebred.create_apps(settings, self.pki, self.clock, self.rand.child("purebred"))
        servers = await purebred.start(apps, self.pki)
        self._runners.extend(servers.runners)
        self.issuer_urls[name] = servers.device_url
        self.portal_urls[name] = servers.console_url

    async def stop(self) -> None:
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()


#: Issuers whose servers are not the one-listener portal + QR kind, and how to start them.
ISSUER_STARTERS: dict[str, Callable[[LabServers, str, PublicUrl], Awaitable[None]]] = {
    purebred.PurebredIssuer.name: LabServers._start_purebred,
}
