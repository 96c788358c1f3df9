"""Issuers of the portal + QR flow (Entrust, Intercede, and any issuer registered with
`mock_issuers.issuer.register`): one HTTPS listener that serves the portal and the device API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from mock_issuers.issuer import create_app, server_ssl_context
from mock_issuers.settings import IssuerSettings, PublicUrl

from .base import Endpoint, IssuerPlugin, ServerKit, run_settings


class PortalIssuerPlugin(IssuerPlugin):
    #: Prefix of its `DCEMU_*` variables; `DCEMU_<NAME>` when empty.
    env_prefix: ClassVar[str] = ""

    @classmethod
    def settings_from_env(cls, env: Mapping[str, str]) -> Any:
        return IssuerSettings.from_env(cls.env_prefix or f"DCEMU_{cls.name.upper()}", env)

    async def start(self, kit: ServerKit) -> Endpoint:
        settings = run_settings(
            self.settings, kit, card_authority_url=kit.card_authority_url, public_url=PublicUrl()
        )
        hierarchy = kit.pki.add_issuer(self.name)
        await kit.serve_revocation(hierarchy, self.name)
        app = create_app(
            self.name,
            settings,
            kit.pki,
            kit.clock,
            kit.rand.child(self.name),
            storage=kit.storage(self.name),
        )
        url = await kit.serve(app, server_ssl_context(kit.pki, self.name), name=self.name)
        settings.public_url.set(url)
        self._endpoint = Endpoint(url, url)
        return self._endpoint
