"""The people on Purebred's side: a live registration agent at the console, with their own PIV
card, and one applicant at their desk. The lab seats the agent (`PurebredSite`) and hands the
site to the device-side `Purebred` client it configures; nothing here is kept in a module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from trust_store.pem import cert_pem
from trust_store.tls import client_context

from ..card import Slot
from ..http import Transport, mtls_session
from ..user import User


@dataclass
class RegistrationAgent:
    """A live Purebred agent at their desk: their own PIV card and the console in a browser."""

    user: User
    console_url: str
    transport: Transport

    async def sign_in(self) -> str:
        """Mutual TLS with the agent's own card (PIN typed); a console session token."""
        card = self.user.card
        card.end_session()
        card.verify_pin(self.user.typed_pin)
        chain, key = card.tls_credential()
        ctx = client_context(self.transport.anchors, client_chain=chain, client_key=key)
        session: aiohttp.ClientSession = mtls_session(ctx)
        try:
            doc = await self.transport.json_object(
                "POST",
                f"{self.console_url}/console/session",
                session=session,
                during="Purebred agent console sign-in",
            )
        finally:
            await session.close()
        return str(doc["session"])

    async def console_post(self, token: str, path: str, body: dict[str, Any], during: str) -> Any:
        return await self.transport.json_object(
            "POST",
            f"{self.console_url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            during=during,
        )

    async def receive(self, applicant: User) -> AgentDesk:
        """The applicant arrives: the agent signs in, reads the applicant's card (its PIV
        Authentication certificate; no PIN needed), looks them up and confirms them."""
        token = await self.sign_in()
        pem = cert_pem(applicant.card.certificate(Slot.PIV_AUTH)).decode()
        doc = await self.console_post(
            token, "/console/applicants", {"certificate": pem}, "Purebred agent: look up applicant"
        )
        applicant_id = str(doc["id"])
        if doc.get("status") != "confirmed":
            await self.console_post(
                token,
                f"/console/applicants/{applicant_id}/confirm",
                {},
                "Purebred agent: confirm the applicant in person",
            )
        return AgentDesk(self, token, applicant_id)


@dataclass
class AgentDesk:
    """One applicant at the agent's desk."""

    agent: RegistrationAgent
    token: str
    applicant: str

    async def hand_out(self, step: str) -> str:
        doc = await self.agent.console_post(
            self.token,
            f"/console/applicants/{self.applicant}/otps",
            {"step": step},
            f"Purebred agent: {step} code",
        )
        return str(doc["otp"])

    async def confirm_fingerprint(self, pre_enrollment: str, seen_on_device: str) -> None:
        await self.agent.console_post(
            self.token,
            f"/console/pre-enrollments/{pre_enrollment}/confirm",
            {"fingerprint": seen_on_device},
            "Purebred agent: confirm the device's fingerprint",
        )


@dataclass(frozen=True)
class PurebredSite:
    """Where the user's portal is and who the agent on duty is, for one Purebred server."""

    portal_url: str
    agent: RegistrationAgent
