"""A running lab: clock, randomness, PKI, the servers on loopback, one client transport and the
tenant administrator. The demo, the tests and the load runner all build on this.

    async with Lab.start(issuers=("entrust",)) as lab:
        await lab.configure_tenant("entrust")
        user = await lab.new_user("Alice Smith", "alice@corp.example")
        device = lab.new_device(DeviceSpec(...))
        state = await lab.credential_app(device).sync(user, Workstation(lab.transport))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent import purebred_app
from agent.credential_app import CredentialApp, Narrator
from agent.device import Device, DeviceSpec
from agent.enrollment import State
from agent.http import Transport
from agent.intune import IntuneChannel
from agent.issuers.purebred import PurebredSite, RegistrationAgent, register_site, unregister_site
from agent.payloads.known_issues import DEFAULT_KNOWN_ISSUES
from agent.user import User, Workstation, issue_card
from trust_store.clock import ManualClock
from trust_store.labpki import LabPKI
from trust_store.randomness import Randomness

from .servers import PUREBRED_AGENT_UPN, LabServers
from .tenant import TenantAdmin
from .tenant_profiles import FAMILY, PLAN, Roots, trusted_root


def _deploy_purebred_app(device: Device, narrate: Narrator) -> None:
    if not purebred_app.is_installed(device):
        purebred_app.install(device, managed=True)
        narrate(device, "Intune deploys the DISA Purebred app as a managed app")


#: What a device needs before it can enroll with an issuer, by issuer.
DEVICE_PREPARATION: dict[str, tuple[Callable[[Device, Narrator], None], ...]] = {
    "purebred": (_deploy_purebred_app,),
}


async def _seat_purebred_agent(lab: Lab) -> None:
    """Purebred enrolls under supervision: a registration agent with their own PIV card sits at
    the console for the lab's devices."""
    agent_user = await issue_card(
        lab.transport,
        lab.servers.card_authority_url,
        name="Purebred Agent",
        upn=PUREBRED_AGENT_UPN,
        email=PUREBRED_AGENT_UPN,
        pin="246810",
        key_history=0,
    )
    console = lab.servers.portal_urls["purebred"]
    register_site(
        lab.servers.issuer_urls["purebred"],
        PurebredSite(console, RegistrationAgent(agent_user, console, lab.transport)),
    )


#: Issuers that need people on the issuer's side at lab start (a Purebred agent at the console).
ISSUER_DESKS: dict[str, Callable[[Lab], Awaitable[None]]] = {"purebred": _seat_purebred_agent}

#: Intune's name for each issuer the lab runs.
INTUNE_ISSUER = {"entrust": "entrustDatacard", "intercede": "intercede", "purebred": "purebred"}


def _quiet(_d: Device, _m: str) -> None:
    return None


@dataclass
class TenantSetup:
    settings: dict[str, Any]
    #: Platform family → profile key (`derived-root`, `wifi`, ...) → the created Graph object.
    profiles: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def profile(self, platform: str, key: str) -> dict[str, Any]:
        """The profile `key` created for the family of the agent's `platform` name."""
        return self.profiles[FAMILY[platform]][key]


@dataclass
class Lab:
    clock: ManualClock
    rand: Randomness
    pki: LabPKI
    servers: LabServers
    transport: Transport
    state_dir: Path | None = None
    #: Known issues the lab's devices reproduce (agent.payloads.known_issues); all by default.
    known_issues: frozenset[str] = DEFAULT_KNOWN_ISSUES

    @classmethod
    @asynccontextmanager
    async def start(
        cls,
        *,
        issuers: tuple[str, ...] = ("entrust",),
        seed: int | None = None,
        state_dir: Path | None = None,
        clock: ManualClock | None = None,
        known_issues: frozenset[str] = DEFAULT_KNOWN_ISSUES,
    ) -> AsyncIterator[Lab]:
        clock = clock or ManualClock(dt.datetime.now(dt.UTC))
        rand = Randomness(seed)
        pki = LabPKI.create(clock, rand, issuers, state_dir)
        servers = await LabServers(pki, clock, rand).start(issuers)
        transport = Transport([pki.tls_root.cert])
        lab = cls(clock, rand, pki, servers, transport, state_dir, known_issues)
        try:
            for name in issuers:
                seat_staff = ISSUER_DESKS.get(name)
                if seat_staff is not None:
                    await seat_staff(lab)
            yield lab
        finally:
            for url in servers.issuer_urls.values():
                unregister_site(url)
            await transport.close()
            await servers.stop()

    @property
    def admin(self) -> TenantAdmin:
        return TenantAdmin(self.transport, self.servers.intune_url)

    async def configure_tenant(
        self,
        issuer: str,
        *,
        families: tuple[str, ...] = tuple(PLAN),
        roots: bool = True,
        wifi_eap: str = "eapTls",
        help_url: str = "",
    ) -> TenantSetup:
        """The administrator's part: the tenant's one issuer, then for each platform family the
        trusted roots (derived-credential root, RADIUS server root) and every profile type that
        uses the derived credential there (`tenant_profiles.PLAN`), assigned to every licensed
        user. `roots=False` leaves the roots out (the chain check then fails on the device)."""
        admin = self.admin
        # One issuer per tenant: each configuration starts from an empty tenant.
        await self.transport.request(
            "POST", f"{self.servers.intune_url}/admin/reset", during="reset tenant"
        )
        setup = TenantSetup(
            await admin.set_issuer(
                INTUNE_ISSUER[issuer], help_url=help_url or "https://help.corp.example/pivd"
            )
        )
        for family in families:
            made = setup.profiles.setdefault(family, {})
            if roots:
                made["derived-root"] = await admin.add_profile(
                    trusted_root(
                        family, f"{issuer.title()} derived root", self.pki.derived[issuer].root.cert
                    )
                )
                made["radius-root"] = await admin.add_profile(
                    trusted_root(family, "RADIUS server root", self.pki.tls_root.cert)
                )
            ids = Roots(
                admin.base,
                made.get("derived-root", {}).get("id", ""),
                made.get("radius-root", {}).get("id", ""),
                wifi_eap,
            )
            for key, build in PLAN[family]:
                body = build(ids)
                if not roots:
                    body = {k: v for k, v in body.items() if not k.endswith("@odata.bind")}
                made[key] = await admin.add_profile(body)
        return setup

    async def new_user(self, name: str, upn: str, *, pin: str = "123456") -> User:
        return await issue_card(
            self.transport, self.servers.card_authority_url, name=name, upn=upn, email=upn, pin=pin
        )

    def new_device(self, spec: DeviceSpec) -> Device:
        return Device(
            spec, self.clock, self.state_dir / "devices" / spec.id if self.state_dir else None
        )

    def prepare_device(self, device: Device, issuer: str, narrate: Narrator = _quiet) -> None:
        """What the device needs before it can enroll with `issuer` (`DEVICE_PREPARATION`)."""
        for prepare in DEVICE_PREPARATION.get(issuer, ()):
            prepare(device, narrate)

    async def obtain_credential(
        self, device: Device, user: User, issuer: str, narrate: Narrator = _quiet
    ) -> State:
        """Everything the user does on `device` to get a derived credential from `issuer`:
        Company Portal / the Intune app when Intune asks (iOS, Android), or installing the
        provider's app (Windows). Issuers that need an app of their own on the device (Purebred)
        have it deployed by Intune as a managed app first."""
        self.prepare_device(device, issuer, narrate)
        workstation = Workstation(self.transport)
        app = self.credential_app(device, narrate)
        try:
            if device.platform.intune_requests_credential:
                return await app.sync(user, workstation)
            return await app.install_provider_app(issuer, user, workstation)
        finally:
            await workstation.close()

    def credential_app(self, device: Device, narrate: Narrator = _quiet) -> CredentialApp:
        return CredentialApp(
            device,
            IntuneChannel(self.transport, self.servers.intune_url),
            self.transport,
            self.servers.issuer_urls,
            narrate,
            known_issues=self.known_issues,
        )
