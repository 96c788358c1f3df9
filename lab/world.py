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
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.credential_app import CredentialApp, Narrator
from agent.device import Device, DeviceSpec
from agent.http import Transport
from agent.intune import IntuneChannel
from agent.user import User, issue_card
from trust_store.clock import ManualClock
from trust_store.labpki import LabPKI
from trust_store.randomness import Randomness

from .servers import LabServers
from .tenant import TenantAdmin

#: Intune's name for each issuer the lab runs.
INTUNE_ISSUER = {"entrust": "entrustDatacard", "intercede": "intercede", "purebred": "purebred"}


def _quiet(_d: Device, _m: str) -> None:
    return None


@dataclass
class TenantSetup:
    settings: dict[str, Any]
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Lab:
    clock: ManualClock
    rand: Randomness
    pki: LabPKI
    servers: LabServers
    transport: Transport
    state_dir: Path | None = None

    @classmethod
    @asynccontextmanager
    async def start(
        cls,
        *,
        issuers: tuple[str, ...] = ("entrust",),
        seed: int | None = None,
        state_dir: Path | None = None,
        clock: ManualClock | None = None,
    ) -> AsyncIterator[Lab]:
        clock = clock or ManualClock(dt.datetime.now(dt.UTC))
        rand = Randomness(seed)
        pki = LabPKI.create(clock, rand, issuers, state_dir)
        servers = await LabServers(pki, clock, rand).start(issuers)
        transport = Transport([pki.tls_root.cert])
        try:
            yield cls(clock, rand, pki, servers, transport, state_dir)
        finally:
            await transport.close()
            await servers.stop()

    @property
    def admin(self) -> TenantAdmin:
        return TenantAdmin(self.transport, self.servers.intune_url)

    async def configure_tenant(
        self, issuer: str, *, roots: bool = True, wifi_eap: str = "eapTls", help_url: str = ""
    ) -> TenantSetup:
        """The administrator's part: the tenant's issuer, trusted roots, a Wi-Fi profile with
        derived-credential authentication, all assigned to every licensed user."""
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
        root_ids: list[str] = []
        if roots:
            setup.profiles["derived-root"] = await admin.add_trusted_root(
                f"{issuer.title()} derived root", self.pki.derived[issuer].root.cert
            )
            setup.profiles["radius-root"] = await admin.add_trusted_root(
                "RADIUS server root", self.pki.tls_root.cert
            )
            root_ids.append(setup.profiles["radius-root"]["id"])
        setup.profiles["wifi"] = await admin.add_ios_wifi(
            "Corp Wi-Fi (derived credential)",
            "CORP-SECURE",
            eap_type=wifi_eap,
            server_names=["radius.corp.example"],
            root_ids=root_ids,
        )
        return setup

    async def new_user(self, name: str, upn: str, *, pin: str = "123456") -> User:
        return await issue_card(
            self.transport, self.servers.card_authority_url, name=name, upn=upn, email=upn, pin=pin
        )

    def new_device(self, spec: DeviceSpec) -> Device:
        return Device(
            spec, self.clock, self.state_dir / "devices" / spec.id if self.state_dir else None
        )

    def credential_app(self, device: Device, narrate: Narrator = _quiet) -> CredentialApp:
        return CredentialApp(
            device,
            IntuneChannel(self.transport, self.servers.intune_url),
            self.transport,
            self.servers.issuer_urls,
            narrate,
        )
