"""A running lab for the mock-issuer tests: the card authority and both issuers on loopback
HTTPS (all given the tests' admin token), with helpers to issue cards and to talk as the lab's
administrator, a workstation (with the card) or a device."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from cryptography import x509

from mock_issuers import card_authority, issuer_app, serving
from mock_issuers.card_authority import CARD_AUTHORITY, CardAuthority
from mock_issuers.issuer_app import ISSUER_SERVICE, IssuerService
from mock_issuers.settings import CardAuthoritySettings, IssuerSettings
from tests.mock_issuers.testkit import (
    SoftCard,
    b64,
    csr_der,
    device_body,
    scan_qr,
    split_certs_only,
)
from trust_store import tls
from trust_store.clock import ManualClock
from trust_store.labpki import LabPKI
from trust_store.randomness import Randomness

ISSUER_NAMES = ("entrust", "intercede")


@dataclass
class Lab:
    pki: LabPKI
    clock: ManualClock
    ca_settings: CardAuthoritySettings
    ca_app: web.Application
    apps: dict[str, web.Application]
    admin_token: str
    runners: list[web.AppRunner] = field(default_factory=list)
    sessions: list[aiohttp.ClientSession] = field(default_factory=list)

    @property
    def ca_url(self) -> str:
        return self.ca_settings.public_url.get()

    def url(self, issuer: str) -> str:
        return serving.public_url_of(self.apps[issuer]).get()

    @property
    def authority(self) -> CardAuthority:
        return self.ca_app[CARD_AUTHORITY]

    def service(self, issuer: str = "entrust") -> IssuerService:
        return self.apps[issuer][ISSUER_SERVICE]

    def client(self, **client_cert: Any) -> aiohttp.ClientSession:
        ctx = tls.client_context([self.pki.tls_root.cert], **client_cert)
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx))
        self.sessions.append(session)
        return session

    def anonymous(self) -> aiohttp.ClientSession:
        return self.client()

    def admin(self) -> aiohttp.ClientSession:
        """A session that sends the lab's admin token (for `/admin/*`)."""
        ctx = tls.client_context([self.pki.tls_root.cert])
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=ctx),
            headers={"Authorization": f"Bearer {self.admin_token}"},
        )
        self.sessions.append(session)
        return session

    def workstation(self, card: SoftCard) -> aiohttp.ClientSession:
        """A browser with the card inserted: mutual TLS with the PIV Authentication key."""
        return self.client(client_chain=[card.auth_cert, card.chain[0]], client_key=card.auth_key)

    async def issue_card(
        self, upn: str = "alice@agency.example", name: str = "Alice Example", history: int = 0
    ) -> SoftCard:
        card = SoftCard.new(name, upn)
        async with self.admin().post(
            f"{self.ca_url}/admin/cards", json=card.request(history)
        ) as resp:
            assert resp.status == 201, await resp.text()
            card.answer = await resp.json()
        return card

    async def revoke_card(self, card: SoftCard) -> None:
        async with self.admin().post(
            f"{self.ca_url}/admin/cards/{card.uuid}/revoke", json={"reason": "keyCompromise"}
        ) as resp:
            assert resp.status == 200, await resp.text()

    async def sign_in(
        self, card: SoftCard, issuer: str = "entrust"
    ) -> tuple[aiohttp.ClientSession, str]:
        browser = self.workstation(card)
        async with browser.post(f"{self.url(issuer)}/portal/session") as resp:
            assert resp.status == 201, await resp.text()
            token = (await resp.json())["session"]
        return browser, str(token)

    async def enroll(self, card: SoftCard, issuer: str = "entrust") -> Enrollment:
        """Sign in with the card, request an enrollment and scan its QR code."""
        browser, session = await self.sign_in(card, issuer)
        auth = {"Authorization": f"Bearer {session}"}
        async with browser.post(
            f"{self.url(issuer)}/portal/enrollments", json={}, headers=auth
        ) as r:
            assert r.status == 201, await r.text()
            doc = await r.json()
        async with browser.get(self.url(issuer) + doc["qr"], headers=auth) as r:
            assert r.status == 200 and r.content_type == "image/png"
            payload = scan_qr(await r.read())
        prefix = f"dcemu:{issuer}:1:"
        assert payload.startswith(prefix)
        return Enrollment(issuer, doc, payload[len(prefix) :], auth, browser)

    async def activate(self, enrollment: Enrollment, upn: str) -> Device:
        device = Device(self, enrollment.issuer, self.anonymous())
        async with device.post(
            "/device/v1/activations", json=device_body(enrollment.token, upn, enrollment.password)
        ) as r:
            assert r.status == 201, await r.text()
            device.activation = await r.json()
        return device


@dataclass
class Device:
    """A phone after activation: it holds the access token."""

    lab: Lab
    issuer: str
    http: aiohttp.ClientSession
    activation: dict[str, Any] = field(default_factory=dict)

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.activation['accessToken']}"}

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.http.post(self.lab.url(self.issuer) + path, **kwargs)

    def simpleenroll(
        self, label: str, body: bytes | str, content_type: str = "application/pkcs10"
    ) -> Any:
        return self.post(
            f"/.well-known/est/{label}/simpleenroll",
            data=body,
            headers={**self.bearer, "Content-Type": content_type},
        )

    async def enroll_cert(self, label: str, key: Any) -> x509.Certificate:
        async with self.simpleenroll(label, b64(csr_der(key))) as r:
            assert r.status == 200, await r.text()
            leaf, _ = split_certs_only(base64.b64decode(await r.read()))
        return leaf


@dataclass
class Enrollment:
    issuer: str
    doc: dict[str, Any]
    token: str
    portal_auth: dict[str, str]
    browser: aiohttp.ClientSession

    @property
    def password(self) -> str | None:
        value = self.doc.get("password")
        return None if value is None else str(value)


@pytest.fixture
def issuer_settings() -> dict[str, dict[str, Any]]:
    """Extra `IssuerSettings` fields by issuer name; a test overrides them by parametrizing
    `issuer_settings` directly."""
    return {}


@pytest.fixture
async def lab(
    pki: LabPKI,
    clock: ManualClock,
    rand: Randomness,
    issuer_settings: dict[str, dict[str, Any]],
    admin_token: str,
) -> AsyncIterator[Lab]:
    ca_settings = CardAuthoritySettings(
        escrow_clients=frozenset(ISSUER_NAMES), admin_token=admin_token
    )
    ca_app = card_authority.create_app(ca_settings, pki, clock, rand.child("card-authority"))
    apps = {
        name: issuer_app.create_app(
            name,
            IssuerSettings(
                card_authority_url=ca_settings.public_url,
                admin_token=admin_token,
                **issuer_settings.get(name, {}),
            ),
            pki,
            clock,
            rand.child(name),
        )
        for name in ISSUER_NAMES
    }
    lab = Lab(pki, clock, ca_settings, ca_app, apps, admin_token)
    runner, _ = await serving.serve(ca_app, card_authority.server_ssl_context(pki))
    lab.runners.append(runner)
    for name, app in apps.items():
        runner, _ = await serving.serve(app, issuer_app.server_ssl_context(pki, name))
        lab.runners.append(runner)
    try:
        yield lab
    finally:
        for session in lab.sessions:
            await session.close()
        for runner in lab.runners:
            await runner.cleanup()
