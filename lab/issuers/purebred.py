"""DISA Purebred: a registration agent (with their own PIV card) at the console hands out
one-time passcodes; the device reaches Purebred only on the on-premises network and only through
the Purebred app deployed by Intune as a managed app, which generates and holds the keys.
Server: `mock_issuers/purebred/` (console on 127.0.0.1, device API on the on-premises address
127.0.0.2); client: `agent/issuers/purebred.py` and the app in `agent/purebred/`."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from agent.device import Narrator, quiet
from agent.issuers import IssuerClient, Purebred
from agent.purebred import OnPremises, PurebredApp, PurebredSite, RegistrationAgent
from agent.user import issue_card
from mock_issuers import purebred as server
from mock_issuers.settings import PublicUrl

from .base import Endpoint, IssuerPlugin, ServerKit, StaffContext, run_settings

if TYPE_CHECKING:
    from agent.device import Device

#: The lab's registration agent (their own PIV card signs in to the console).
AGENT_UPN = "pb.agent@corp.example"
AGENT_PIN = "246810"


class PurebredPlugin(IssuerPlugin):
    name = "purebred"
    client = Purebred
    notes = {
        "android-fully-managed": (
            "the Intune admin center labels Purebred '(iOS only)' while Microsoft's Purebred "
            "documentation describes Android; the lab runs it",
        ),
        "android-work-profile": (
            "the Intune admin center labels Purebred '(iOS only)'; the lab runs it",
        ),
    }
    #: Purebred answers only on the on-premises network (corporate Wi-Fi or VPN); the lab's
    #: devices are on the corporate Wi-Fi's enrollment SSID.
    networks = ("corporate-wifi",)
    demo_user = ("Carol Diaz", "carol@corp.example")

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.site: PurebredSite | None = None

    @classmethod
    def settings_from_env(cls, env: Mapping[str, str]) -> Any:
        settings = server.PurebredSettings.from_env(env)
        agents = settings.registered_agents | {AGENT_UPN}
        return dataclasses.replace(settings, registered_agents=agents)

    async def start(self, kit: ServerKit) -> Endpoint:
        settings = run_settings(
            self.settings,
            kit,
            card_authority_url=kit.card_authority_url,
            public_url=PublicUrl(),
            device_url=PublicUrl(),
        )
        hierarchy = kit.pki.add_issuer(self.name)
        apps = server.create_apps(
            settings,
            kit.pki,
            kit.clock,
            kit.rand.child(self.name),
            storage=kit.storage(self.name),
        )
        # After the service is built: its storage holds the CA records the listener commits.
        await kit.serve_revocation(hierarchy, self.name)
        host = settings.on_premises_host
        console = await kit.serve(
            apps.console, server.console_ssl_context(kit.pki), name=f"{self.name}-console"
        )
        device = await kit.serve(
            apps.device, server.device_ssl_context(kit.pki, host), host, name=self.name
        )
        settings.public_url.set(console)
        settings.device_url.set(device)
        self._endpoint = Endpoint(device, console)
        return self._endpoint

    async def seat_staff(self, staff: StaffContext) -> None:
        """Purebred enrolls under supervision: a registration agent with their own PIV card sits
        at the console for the lab's devices (registered at the server: an admin action)."""
        console = self.endpoint.portal_url
        await staff.transport.request(
            "POST",
            f"{console}/admin/agents",
            json={"upn": AGENT_UPN},
            headers=staff.admin_headers,
            during="register the Purebred agent",
        )
        agent_user = await issue_card(
            staff.transport,
            staff.card_authority_url,
            admin_token=staff.admin_token,
            name="Purebred Agent",
            upn=AGENT_UPN,
            email=AGENT_UPN,
            pin=AGENT_PIN,
            key_history=0,
            rand=staff.rand.child(f"user/{AGENT_UPN}"),
        )
        self.site = PurebredSite(console, RegistrationAgent(agent_user, console, staff.transport))

    def prepare_device(self, device: Device, narrate: Narrator = quiet) -> None:
        if not PurebredApp.is_installed(device):
            # The app knows the on-premises address the server answers on.
            hosts = frozenset({urlsplit(self.endpoint.device_url).hostname or ""})
            PurebredApp.install(device, managed=True, on_premises=OnPremises(hosts))
            narrate(device, "Intune deploys the DISA Purebred app as a managed app")
            device.save()

    def make_client(self) -> IssuerClient:
        if self.site is None:
            raise RuntimeError("no Purebred registration agent is seated (seat_staff)")
        return Purebred(self.endpoint.device_url, self.site)
