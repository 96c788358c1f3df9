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

from agent.credential_app import CredentialApp
from agent.device import Device, DeviceSpec, Narrator, quiet
from agent.enrollment import State
from agent.http import Transport
from agent.intune import IntuneChannel
from agent.issuers import IssuerDirectory
from agent.payloads.known_issues import DEFAULT_KNOWN_ISSUES
from agent.retry import VirtualSleep
from agent.user import User, issue_card
from mock_intune import GraphApp
from trust_store.clock import ManualClock
from trust_store.labpki import LabPKI
from trust_store.randomness import Randomness

from .flows import obtain
from .issuers import ISSUER_PLUGINS, IssuerPlugin, plugin_class
from .issuers.base import StaffContext
from .servers import LabServers
from .settings import LabSettings
from .tenant import TenantAdmin
from .tenant_profiles import PLAN
from .tenant_setup import TenantSetup, deploy_tenant


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
    #: The issuers the lab's devices can reach (configured device-side clients).
    directory: IssuerDirectory = field(default_factory=IssuerDirectory)
    _admin: TenantAdmin | None = field(default=None, repr=False)

    @classmethod
    @asynccontextmanager
    async def start(
        cls,
        *,
        issuers: tuple[str, ...] | None = None,
        seed: int | None = None,
        state_dir: Path | None = None,
        clock: ManualClock | None = None,
        known_issues: frozenset[str] = DEFAULT_KNOWN_ISSUES,
        settings: LabSettings | None = None,
    ) -> AsyncIterator[Lab]:
        """Start the lab: `issuers` by name (their plugins, `lab.issuers`; all when None), every
        server's settings from `settings` (defaults when None; the CLI reads them from the
        environment once, with `LabSettings.from_env`)."""
        settings = settings or LabSettings()
        issuers = tuple(ISSUER_PLUGINS) if issuers is None else issuers
        clock = clock or ManualClock(dt.datetime.now(dt.UTC))
        rand = Randomness(seed)
        plugins = [plugin_class(name)(settings.issuer(name)) for name in issuers]
        pki = LabPKI.create(clock, rand, issuers, state_dir)
        servers = LabServers(pki, clock, rand, settings)
        transport = Transport([pki.tls_root.cert])
        try:
            await servers.start(plugins)
            lab = cls(clock, rand, pki, servers, transport, state_dir, known_issues)
            for plugin in plugins:
                await plugin.seat_staff(lab.staff)
                lab.directory.add(plugin.make_client())
            yield lab
        finally:
            await transport.close()
            await servers.stop()

    @property
    def admin_token(self) -> str:
        """The lab's admin token: every server's `/admin/*` needs it as a bearer token."""
        return self.servers.admin_token

    @property
    def staff(self) -> StaffContext:
        """What an issuer's desk staff need (their cards come from this lab's card authority)."""
        return StaffContext(
            self.transport, self.servers.card_authority_url, self.admin_token, self.rand
        )

    @property
    def admin_headers(self) -> dict[str, str]:
        """`Authorization: Bearer <admin token>`, for a call to any server's `/admin/*`."""
        return {"Authorization": f"Bearer {self.admin_token}"}

    @property
    def graph_credentials(self) -> GraphApp:
        """Mock Intune's Graph client credentials (tenant id, client id, secret, token path):
        what a Graph client needs to get a token for `/beta`."""
        if self.servers.graph is None:
            raise RuntimeError("mock Intune has not started")
        return self.servers.graph

    @property
    def admin(self) -> TenantAdmin:
        """The Intune administrator (one per lab: it keeps its Graph token until it expires)."""
        if self._admin is None:
            self._admin = TenantAdmin(
                self.transport, self.servers.intune_url, self.graph_credentials, self.clock
            )
        return self._admin

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
            "POST",
            f"{self.servers.intune_url}/admin/reset",
            headers=self.admin_headers,
            during="reset tenant",
        )
        plugin = self.issuer(issuer)
        return await deploy_tenant(
            admin,
            plugin,
            self.pki.derived[issuer].root.cert,
            self.pki.tls_root.cert,
            families=families,
            roots=roots,
            wifi_eap=wifi_eap,
            help_url=help_url,
        )

    def issuer(self, name: str) -> IssuerPlugin:
        """The running issuer `name` (its plugin: settings, endpoint, staff)."""
        try:
            return self.servers.issuers[name]
        except KeyError:
            raise KeyError(
                f"issuer {name!r} is not running in this lab; running: "
                f"{', '.join(self.servers.issuers)}"
            ) from None

    async def new_user(
        self, name: str, upn: str, *, pin: str = "123456", key_history: int = 2
    ) -> User:
        """A person with a new PIV card (`key_history` earlier key-management keys escrowed)."""
        return await issue_card(
            self.transport,
            self.servers.card_authority_url,
            admin_token=self.admin_token,
            name=name,
            upn=upn,
            email=upn,
            pin=pin,
            key_history=key_history,
            rand=self.rand.child(f"user/{upn}"),
        )

    def _device_dir(self, device_id: str) -> Path | None:
        return self.state_dir / "devices" / device_id if self.state_dir else None

    def new_device(self, spec: DeviceSpec) -> Device:
        return Device(
            spec, self.clock, self._device_dir(spec.id), self.rand.child(f"device/{spec.id}")
        )

    def load_device(self, device_id: str) -> Device:
        """A device as its state directory holds it (nothing kept in memory)."""
        path = self._device_dir(device_id)
        if path is None:
            raise ValueError("this lab keeps no state directory; start it with state_dir")
        return Device.load(path, self.clock, self.rand.child(f"device/{device_id}"))

    def prepare_device(self, device: Device, issuer: str, narrate: Narrator = quiet) -> None:
        """What the device needs before it can enroll with `issuer` (its plugin says)."""
        self.issuer(issuer).prepare_device(device, narrate)

    async def obtain_credential(
        self,
        device: Device,
        user: User,
        issuer: str,
        narrate: Narrator = quiet,
        *,
        steps: int | None = None,
    ) -> State:
        """Everything the user does on `device` to get a derived credential from `issuer`:
        Company Portal / the Intune app when Intune asks (iOS, Android), or installing the
        provider's app (Windows). Issuers that need an app of their own on the device (Purebred)
        have it deployed by Intune as a managed app first. `steps` stops the enrollment after
        that many steps (a later call resumes it)."""
        app = self.credential_app(device, narrate)
        return await obtain(app, self.issuer(issuer), user, narrate, steps=steps)

    def credential_app(self, device: Device, narrate: Narrator = quiet) -> CredentialApp:
        return CredentialApp(
            device,
            IntuneChannel(self.transport, self.servers.intune_url),
            self.transport,
            self.directory,
            narrate,
            known_issues=self.known_issues,
            sleep=VirtualSleep(self.clock),
        )
