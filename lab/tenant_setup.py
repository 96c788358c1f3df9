"""The Intune administrator's part of a lab, for any tenant reachable through Graph: the
tenant's one issuer, then for each platform family the trusted roots (the issuer's derived root,
the RADIUS server's root) and every profile type that uses the derived credential there
(`tenant_profiles.PLAN`), assigned to every licensed user."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from .issuers import IssuerPlugin
from .tenant import TenantAdmin
from .tenant_profiles import FAMILY, PLAN, Roots, trusted_root


@dataclass
class TenantSetup:
    settings: dict[str, Any]
    #: Platform family → profile key (`derived-root`, `wifi`, ...) → the created Graph object.
    profiles: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def profile(self, platform: str, key: str) -> dict[str, Any]:
        """The profile `key` created for the family of the agent's `platform` name."""
        return self.profiles[FAMILY[platform]][key]


async def deploy_tenant(
    admin: TenantAdmin,
    plugin: IssuerPlugin,
    derived_root: x509.Certificate,
    tls_root: x509.Certificate,
    *,
    families: tuple[str, ...] = tuple(PLAN),
    roots: bool = True,
    wifi_eap: str = "eapTls",
    help_url: str = "",
) -> TenantSetup:
    """Set the tenant's issuer to `plugin`'s and deploy the roots and profiles (`roots=False`
    leaves the roots out: the chain check then fails on the device)."""
    setup = TenantSetup(
        await admin.set_issuer(
            plugin.intune_issuer, help_url=help_url or "https://help.corp.example/pivd"
        )
    )
    for family in families:
        made = setup.profiles.setdefault(family, {})
        if roots:
            made["derived-root"] = await admin.add_profile(
                trusted_root(family, f"{plugin.display} derived root", derived_root)
            )
            made["radius-root"] = await admin.add_profile(
                trusted_root(family, "RADIUS server root", tls_root)
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
