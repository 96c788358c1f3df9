"""One Purebred server's state, shared by its two listeners: the issuer core (CA hierarchy,
card verifier, user portal sessions, enrollments, issuance pipeline, upstream client) plus what
Purebred adds: registered agents, their console sessions, applicants, pre-enrollments and the
one-time passcodes. All of it is kept in one storage, rebuilt from it at start (each store's
docstring says its collection)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from servicekit.storage import MemoryStorage, Storage
from trust_store.clock import Clock
from trust_store.labpki import LabPKI
from trust_store.randomness import Randomness

from ..issuer.service import IssuerService
from ..issuer.sessions import SessionStore
from .agents import AgentRegistry
from .applicants import ApplicantStore
from .issuer import PurebredIssuer
from .otps import OtpStore
from .preenroll import PreEnrollmentStore
from .settings import PurebredSettings

#: The agents' console sessions (the users' portal sessions are the core's `sessions`).
CONSOLE_SESSIONS = "console-sessions"


@dataclass
class PurebredService:
    settings: PurebredSettings
    pki: LabPKI
    clock: Clock
    rand: Randomness
    #: Where its state is kept (memory unless the lab gives one).
    storage: Storage = field(default_factory=MemoryStorage, repr=False)
    core: IssuerService = field(init=False)
    agents: AgentRegistry = field(init=False)
    console_sessions: SessionStore = field(init=False)
    applicants: ApplicantStore = field(init=False)
    pre_enrollments: PreEnrollmentStore = field(init=False)
    otps: OtpStore = field(init=False)

    def __post_init__(self) -> None:
        store = self.storage
        self.core = IssuerService(
            PurebredIssuer(),
            self.settings.issuer_settings(),
            self.pki,
            self.clock,
            self.rand,
            store,
        )
        self.agents = AgentRegistry(self.settings.registered_agents, store)
        self.console_sessions = SessionStore(
            self.rand.child("console"), store, CONSOLE_SESSIONS, now=self.clock.now()
        )
        self.applicants = ApplicantStore(store)
        self.pre_enrollments = PreEnrollmentStore(self.rand.child("pre-enrollments"), store)
        self.otps = OtpStore(self.rand.child("otps"), self.settings.otp_digits, store)

    def snapshot(self) -> dict[str, Any]:
        """What a refused request must leave unchanged (the tests compare it)."""
        return {
            **self.core.snapshot(),
            "agents": self.agents.entries(),
            "consoleSessions": len(self.console_sessions),
            "applicants": sorted((a.id, a.status.value) for a in self.applicants),
            "preEnrollments": sorted(p.snapshot() for p in self.pre_enrollments),
            "otps": sorted(o.snapshot() for o in self.otps),
        }

    def reset(self) -> None:
        self.core.reset()
        self.agents.reset()
        self.console_sessions.clear()
        self.applicants.clear()
        self.pre_enrollments.clear()
        self.otps.clear()

    async def close(self) -> None:
        await self.core.close()


PUREBRED_SERVICE = web.AppKey("purebred_service", PurebredService)
