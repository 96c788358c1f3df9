"""Issuers of the portal + QR flow (Entrust, Intercede, and any issuer registered with
`mock_issuers.issuer.register`): one HTTPS listener that serves the portal and the device API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from mock_issuers.issuer import Issuer, create_app, server_ssl_context
from mock_issuers.settings import IssuerSettings, PublicUrl
from servicekit.env import SettingsError
from trust_store.oids import DERIVED_MAX_VALIDITY

from .base import Endpoint, IssuerPlugin, ServerKit, run_settings


class PortalIssuerPlugin(IssuerPlugin):
    #: The server's issuer class (a `mock_issuers.issuer.Issuer` registered with `@register`);
    #: naming it here is what imports, and so registers, the server side.
    server: ClassVar[type[Issuer]]
    #: Prefix of its `DCEMU_*` variables; `DCEMU_<NAME>` when empty.
    env_prefix: ClassVar[str] = ""

    @classmethod
    def settings_from_env(cls, env: Mapping[str, str]) -> Any:
        """The server's settings; values that cannot go together with the server's data (a
        re-key window for an issuer that does not re-key, a window not shorter than the
        credential lifetime, a lifetime over SP 800-157's 3 years) are `SettingsError`s too."""
        prefix = cls.env_prefix or f"DCEMU_{cls.name.upper()}"
        settings = IssuerSettings.from_env(prefix, env)
        server = cls.server
        window = settings.rekey_before_expiry
        lifetime = settings.credential_lifetime or server.credential_lifetime
        if settings.credential_lifetime and settings.credential_lifetime > DERIVED_MAX_VALIDITY:
            raise SettingsError(
                f"{prefix}_CREDENTIAL_LIFETIME_S",
                env.get(f"{prefix}_CREDENTIAL_LIFETIME_S"),
                f"at most {int(DERIVED_MAX_VALIDITY.total_seconds())} s (SP 800-157: 3 years)",
            )
        if window is not None and server.rekey_before_expiry is None:
            raise SettingsError(
                f"{prefix}_REKEY_BEFORE_EXPIRY_DAYS",
                env.get(f"{prefix}_REKEY_BEFORE_EXPIRY_DAYS"),
                f"nothing: {server.display_name} does not re-key automatically",
            )
        if window is not None and window >= lifetime:
            raise SettingsError(
                f"{prefix}_REKEY_BEFORE_EXPIRY_DAYS",
                env.get(f"{prefix}_REKEY_BEFORE_EXPIRY_DAYS"),
                f"fewer days than the credential lifetime ({lifetime.days} days)",
            )
        return settings

    async def start(self, kit: ServerKit) -> Endpoint:
        settings = run_settings(
            self.settings, kit, card_authority_url=kit.card_authority_url, public_url=PublicUrl()
        )
        hierarchy = kit.pki.add_issuer(self.name)
        app = create_app(
            self.name,
            settings,
            kit.pki,
            kit.clock,
            kit.rand.child(self.name),
            storage=kit.storage(self.name),
        )
        # After the service is built: its storage holds the CA records the listener commits.
        await kit.serve_revocation(hierarchy, self.name)
        url = await kit.serve(app, server_ssl_context(kit.pki, self.name), name=self.name)
        settings.public_url.set(url)
        self._endpoint = Endpoint(url, url)
        return self._endpoint
