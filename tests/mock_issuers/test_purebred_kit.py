"""A running DISA Purebred lab for the tests: the card authority and both Purebred listeners
(console on 127.0.0.1, device API on the on-premises address 127.0.0.2) over loopback HTTPS,
with helpers that speak as the agent's console, the user's portal and the device.

Shared by tests/mock_issuers/test_purebred_*.py and tests/agent/test_purebred_*.py; it holds no
tests itself. Nothing here imports `agent`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

from mock_issuers import card_authority, purebred, serving
from mock_issuers.card_authority import CARD_AUTHORITY, CardAuthority
from mock_issuers.purebred import PurebredServers, PurebredService, PurebredSettings
from mock_issuers.settings import CardAuthoritySettings
from tests.conftest import ADMIN_TOKEN
from tests.mock_issuers.testkit import SoftCard, b64, csr_der, split_certs_only
from trust_store import tls
from trust_store.clock import ManualClock
from trust_store.keys import PrivateKey
from trust_store.labpki import LabPKI
from trust_store.randomness import Randomness

AGENT_UPN = "agent@corp.example"
DEVICE = {"id": "dev-1", "platform": "ios", "osVersion": "18.1", "model": "iPhone16,1"}


@dataclass
class Answer:
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def kind(self) -> str:
        return str(self.json().get("type", "")).removeprefix("urn:dcemu:problem:")


@dataclass
class PurebredLab:
    pki: LabPKI
    clock: ManualClock
    ca_settings: CardAuthoritySettings
    ca_app: web.Application
    ca_runner: web.AppRunner
    servers: PurebredServers
    admin_token: str
    sessions: list[aiohttp.ClientSession] = field(default_factory=list)

    @classmethod
    @asynccontextmanager
    async def start(
        cls,
        pki: LabPKI,
        clock: ManualClock,
        rand: Randomness,
        *,
        agents: frozenset[str] = frozenset({AGENT_UPN}),
        escrow_clients: frozenset[str] = frozenset({"purebred"}),
        admin_token: str = ADMIN_TOKEN,
        **settings: Any,
    ) -> AsyncIterator[PurebredLab]:
        ca_settings = CardAuthoritySettings(escrow_clients=escrow_clients, admin_token=admin_token)
        ca_app = card_authority.create_app(ca_settings, pki, clock, rand.child("card-authority"))
        ca_runner, _ = await serving.serve(ca_app, card_authority.server_ssl_context(pki))
        pb_settings = PurebredSettings(
            card_authority_url=ca_settings.public_url,
            registered_agents=agents,
            admin_token=admin_token,
            **settings,
        )
        apps = purebred.create_apps(pb_settings, pki, clock, rand.child("purebred"))
        servers = await purebred.start(apps, pki)
        lab = cls(pki, clock, ca_settings, ca_app, ca_runner, servers, admin_token)
        try:
            yield lab
        finally:
            for session in lab.sessions:
                await session.close()
            await servers.stop()
            await ca_runner.cleanup()

    # --- plumbing ---------------------------------------------------------------------------
    @property
    def service(self) -> PurebredService:
        return self.servers.apps.service

    @property
    def authority(self) -> CardAuthority:
        return self.ca_app[CARD_AUTHORITY]

    @property
    def ca_url(self) -> str:
        return self.ca_settings.public_url.get()

    def client(self, **client_cert: Any) -> aiohttp.ClientSession:
        ctx = tls.client_context([self.pki.tls_root.cert], **client_cert)
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx))
        self.sessions.append(session)
        return session

    def with_card(self, card: SoftCard) -> aiohttp.ClientSession:
        return self.client(client_chain=[card.auth_cert, card.chain[0]], client_key=card.auth_key)

    async def call(
        self,
        method: str,
        url: str,
        *,
        session: aiohttp.ClientSession | None = None,
        token: str | None = None,
        **kw: Any,
    ) -> Answer:
        headers = dict(kw.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        elif URL(url).path.startswith("/admin/"):
            headers.setdefault("Authorization", f"Bearer {self.admin_token}")
        http = session or self.client()
        async with http.request(method, url, headers=headers, **kw) as resp:
            return Answer(resp.status, resp.content_type, await resp.read())

    async def ok(self, method: str, url: str, status: int = 200, **kw: Any) -> Any:
        answer = await self.call(method, url, **kw)
        assert answer.status == status, answer.body[:400]
        return answer.json()

    def console(self, path: str) -> str:
        return self.servers.console_url + path

    def device(self, path: str) -> str:
        return self.servers.device_url + path

    # --- people -----------------------------------------------------------------------------
    async def issue_card(
        self, upn: str = "alice@corp.example", name: str = "Alice Example", history: int = 2
    ) -> SoftCard:
        card = SoftCard.new(name, upn)
        card.answer = await self.ok(
            "POST", f"{self.ca_url}/admin/cards", 201, json=card.request(history)
        )
        return card

    async def agent_sign_in(self, agent: SoftCard) -> str:
        doc = await self.ok(
            "POST", self.console("/console/session"), 201, session=self.with_card(agent)
        )
        return str(doc["session"])

    async def identify(self, token: str, applicant: SoftCard, *, confirm: bool = True) -> str:
        pem = applicant.answer["certificates"]["pivAuthentication"]
        doc = await self.call(
            "POST", self.console("/console/applicants"), token=token, json={"certificate": pem}
        )
        assert doc.status in (200, 201), doc.body
        applicant_id = str(doc.json()["id"])
        if confirm:
            await self.ok(
                "POST",
                self.console(f"/console/applicants/{applicant_id}/confirm"),
                token=token,
                json={},
            )
        return applicant_id

    async def agent_otp(self, token: str, applicant_id: str, step: str) -> str:
        doc = await self.ok(
            "POST",
            self.console(f"/console/applicants/{applicant_id}/otps"),
            201,
            token=token,
            json={"step": step},
        )
        return str(doc["otp"])

    async def user_otp(self, card: SoftCard, step: str) -> str:
        session = await self.ok(
            "POST", self.console("/portal/session"), 201, session=self.with_card(card)
        )
        doc = await self.ok(
            "POST", self.console("/portal/otps"), 201, token=session["session"], json={"step": step}
        )
        return str(doc["otp"])

    # --- the device ---------------------------------------------------------------------------
    @staticmethod
    def pre_enroll_body(otp: str, upn: str, nonce: str = "nonce-1") -> bytes:
        return json.dumps({"otp": otp, "upn": upn, "device": DEVICE, "nonce": nonce}).encode()

    async def pre_enroll(self, otp: str, upn: str, nonce: str = "nonce-1") -> Answer:
        return await self.call(
            "POST",
            self.device("/device/v1/pre-enroll"),
            data=self.pre_enroll_body(otp, upn, nonce),
            headers={"Content-Type": "application/json"},
        )

    async def confirm_fingerprint(self, token: str, pre_id: str, fingerprint: str) -> Answer:
        return await self.call(
            "POST",
            self.console(f"/console/pre-enrollments/{pre_id}/confirm"),
            token=token,
            json={"fingerprint": fingerprint},
        )

    async def enroll(self, otp: str, pre_id: str, nonce: str = "nonce-1") -> Answer:
        return await self.call(
            "POST",
            self.device("/device/v1/enroll"),
            json={"otp": otp, "preEnrollment": pre_id, "nonce": nonce},
        )

    async def simpleenroll(self, access_token: str, label: str, key: PrivateKey) -> Answer:
        return await self.call(
            "POST",
            self.device(f"/.well-known/est/{label}/simpleenroll"),
            token=access_token,
            data=b64(csr_der(key)),
            headers={"Content-Type": "application/pkcs10"},
        )

    async def user_key_step(
        self, activation: dict[str, Any], step: str, otp: str, password: str = "device-p12"
    ) -> Answer:
        path = f"/device/v1/enrollments/{activation['enrollment']}/{step}"
        return await self.call(
            "POST",
            self.device(path),
            token=activation["accessToken"],
            json={"otp": otp, "password": password},
        )

    # --- whole steps --------------------------------------------------------------------------
    async def supervised_pre_enrollment(
        self, agent: SoftCard, user: SoftCard, nonce: str = "nonce-1"
    ) -> tuple[str, str, dict[str, Any]]:
        """(agent session, applicant id, pre-enrollment answer), fingerprint confirmed."""
        token = await self.agent_sign_in(agent)
        applicant = await self.identify(token, user)
        pre = await self.pre_enroll(
            await self.agent_otp(token, applicant, "pre-enroll"), user.upn, nonce
        )
        assert pre.status == 201, pre.body
        doc = pre.json()
        confirmed = await self.confirm_fingerprint(token, doc["preEnrollment"], doc["fingerprint"])
        assert confirmed.status == 200, confirmed.body
        return token, applicant, doc

    async def supervised_enrollment(self, agent: SoftCard, user: SoftCard) -> dict[str, Any]:
        """Steps 1 and 2: the device's enrollment authorisation."""
        token, applicant, pre = await self.supervised_pre_enrollment(agent, user)
        otp = await self.agent_otp(token, applicant, "enroll")
        answer = await self.enroll(otp, pre["preEnrollment"])
        assert answer.status == 201, answer.body
        return dict(answer.json())


def leaf_of(answer: Answer) -> Any:
    assert answer.status == 200, answer.body
    leaf, _ = split_certs_only(base64.b64decode(answer.body))
    return leaf
