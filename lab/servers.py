"""Start the lab's servers on loopback in this process: the card authority, one server per
derived-credential issuer, and mock Intune, each over HTTPS with a lab-TLS-root certificate."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field

from aiohttp import web

from mock_intune.app import create_app as create_intune_app
from mock_intune.settings import ServerSettings as IntuneSettings
from mock_issuers.card_authority import create_app as create_card_authority_app
from mock_issuers.card_authority import server_ssl_context as card_authority_ssl
from mock_issuers.issuer import create_app as create_issuer_app
from mock_issuers.issuer import server_ssl_context as issuer_ssl
from mock_issuers.settings import CardAuthoritySettings, IssuerSettings, PublicUrl
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


@dataclass
class LabServers:
    pki: LabPKI
    clock: Clock
    rand: Randomness
    card_authority_url: str = ""
    issuer_urls: dict[str, str] = field(default_factory=dict)
    intune_url: str = ""
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
            self.issuer_urls[name] = url
        intune = create_intune_app(IntuneSettings(), self.clock, self.rand.child("intune"))
        cred = self.pki.server_credential("intune")
        runner, self.intune_url = await serve(intune, server_context(cred.chain, cred.key))
        self._runners.append(runner)
        return self

    async def stop(self) -> None:
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()
