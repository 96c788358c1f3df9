"""Servers that restart: the card authority, the issuers and Purebred built on storages that
outlive them (one per service, memory or SQLite), on a lab PKI loaded from a state directory,
with the same seed every time and the same ports (the OCSP and CRL URLs written into issued
certificates keep working). A restart drops every app and PKI object and builds them again from
what was stored, as a new process would.

Shared by the storage contract tests; it holds no tests itself."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from cryptography import x509
from cryptography.x509 import ocsp as x509_ocsp

from mock_issuers import card_authority, issuer_app, purebred, serving
from mock_issuers.purebred import PurebredServers, PurebredSettings
from mock_issuers.settings import CardAuthoritySettings, IssuerSettings
from servicekit.storage import MemoryStorage, SqliteStorage, Storage
from tests.conftest import ADMIN_TOKEN
from tests.mock_issuers.conftest import ISSUER_NAMES, Lab
from tests.mock_issuers.test_purebred_kit import AGENT_UPN, PurebredLab
from trust_store import ocsp
from trust_store.clock import ManualClock
from trust_store.labpki import LabPKI
from trust_store.randomness import Randomness

SEED = 4242
ALL_ISSUERS = (*ISSUER_NAMES, "purebred")
CARD_AUTHORITY = "card-authority"


@dataclass
class Storages:
    """One storage per service; `reopen` is what a new process gets on the same files."""

    backend: str
    directory: Path
    _memory: dict[str, MemoryStorage] = field(default_factory=dict)
    _open: list[SqliteStorage] = field(default_factory=list)

    def path(self, service: str) -> Path:
        return self.directory / f"{service}.sqlite3"

    def open(self, service: str) -> Storage:
        if self.backend == "memory":
            return self._memory.setdefault(service, MemoryStorage())
        store = SqliteStorage(self.path(service))
        self._open.append(store)
        return store

    def close(self) -> None:
        for store in self._open:
            store.close()
        self._open.clear()


@dataclass
class Restartable:
    """What stays between runs: the state directory, the storages, the ports, the clock."""

    storages: Storages
    state_dir: Path
    clock: ManualClock
    ports: dict[str, int] = field(default_factory=dict)
    runners: list[web.AppRunner] = field(default_factory=list)
    sessions: list[aiohttp.ClientSession] = field(default_factory=list)

    def pki(self) -> LabPKI:
        return LabPKI.create(self.clock, Randomness(SEED), ALL_ISSUERS, self.state_dir)

    async def serve(
        self, name: str, app: web.Application, ctx: Any, host: str = "127.0.0.1"
    ) -> str:
        runner, url = await serving.serve(app, ctx, host, self.ports.get(name, 0))
        self.ports[name] = runner.addresses[0][1]
        self.runners.append(runner)
        return url

    async def card_authority(
        self, pki: LabPKI, rand: Randomness, escrow_clients: frozenset[str]
    ) -> tuple[CardAuthoritySettings, web.Application]:
        settings = CardAuthoritySettings(escrow_clients=escrow_clients, admin_token=ADMIN_TOKEN)
        app = card_authority.create_app(
            settings,
            pki,
            self.clock,
            rand.child(CARD_AUTHORITY),
            self.storages.open(CARD_AUTHORITY),
        )
        await self.serve(CARD_AUTHORITY, app, card_authority.server_ssl_context(pki))
        return settings, app

    async def portal_lab(self) -> Lab:
        """The card authority, Entrust and Intercede (`tests.mock_issuers.conftest.Lab`)."""
        pki, rand = self.pki(), Randomness(SEED)
        ca_settings, ca_app = await self.card_authority(pki, rand, frozenset(ISSUER_NAMES))
        apps = {}
        for name in ISSUER_NAMES:
            settings = IssuerSettings(
                card_authority_url=ca_settings.public_url, admin_token=ADMIN_TOKEN
            )
            app = issuer_app.create_app(
                name, settings, pki, self.clock, rand.child(name), self.storages.open(name)
            )
            await self.serve(name, app, issuer_app.server_ssl_context(pki, name))
            apps[name] = app
        lab = Lab(pki, self.clock, ca_settings, ca_app, apps, ADMIN_TOKEN)
        self.sessions = lab.sessions
        return lab

    async def purebred_lab(self) -> PurebredLab:
        """The card authority and both Purebred listeners (`test_purebred_kit.PurebredLab`)."""
        pki, rand = self.pki(), Randomness(SEED)
        ca_settings, ca_app = await self.card_authority(pki, rand, frozenset({"purebred"}))
        settings = PurebredSettings(
            card_authority_url=ca_settings.public_url,
            registered_agents=frozenset({AGENT_UPN}),
            admin_token=ADMIN_TOKEN,
        )
        apps = purebred.create_apps(
            settings, pki, self.clock, rand.child("purebred"), self.storages.open("purebred")
        )
        console = await self.serve(
            "purebred-console", apps.console, purebred.console_ssl_context(pki)
        )
        device = await self.serve(
            "purebred",
            apps.device,
            purebred.device_ssl_context(pki, settings.on_premises_host),
            settings.on_premises_host,
        )
        servers = PurebredServers(apps, console, device)
        lab = PurebredLab(
            pki, self.clock, ca_settings, ca_app, self.runners[0], servers, ADMIN_TOKEN
        )
        self.sessions = lab.sessions
        return lab

    async def stop(self) -> None:
        """The process ends: connections, listeners and storages closed, nothing kept."""
        for session in self.sessions:
            await session.close()
        for runner in reversed(self.runners):
            await runner.cleanup()
        self.runners.clear()
        self.storages.close()


async def ocsp_status(
    http: aiohttp.ClientSession, cert: x509.Certificate, issuer: x509.Certificate
) -> tuple[str, str | None]:
    """(good | revoked | unknown, reason) from the OCSP responder the certificate names."""
    url = ocsp.ocsp_url(cert)
    assert url is not None
    async with http.post(
        url,
        data=ocsp.build_request(cert, issuer, b"restart-nonce-01"),
        headers={"Content-Type": "application/ocsp-request"},
    ) as r:
        assert r.status == 200, await r.text()
        answer = x509_ocsp.load_der_ocsp_response(await r.read())
    status = answer.certificate_status.name.lower()
    reason = answer.revocation_reason
    return status, None if reason is None else reason.value


def crl_number(der: bytes) -> int:
    crl = x509.load_der_x509_crl(der)
    return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


async def admin_get(http: aiohttp.ClientSession, url: str) -> Any:
    async with http.get(url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as r:
        assert r.status == 200, await r.text()
        return await r.json()


def der_b64(cert: x509.Certificate) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding

    return base64.b64encode(cert.public_bytes(Encoding.DER)).decode()
