"""The Intune administrator: configures the tenant through the mock's Graph-shaped admin API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent.http import Transport

GRAPH = "#microsoft.graph."


@dataclass
class TenantAdmin:
    transport: Transport
    intune_url: str

    @property
    def base(self) -> str:
        return f"{self.intune_url}/beta"

    async def _post(self, path: str, body: dict[str, Any], during: str) -> dict[str, Any]:
        doc: dict[str, Any] = await self.transport.json(
            "POST", f"{self.base}{path}", json=body, during=during
        )
        return doc

    async def set_issuer(
        self,
        issuer: str,
        *,
        notification: str = "companyPortal",
        help_url: str = "",
        threshold: int = 20,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "@odata.type": f"{GRAPH}deviceManagementDerivedCredentialSettings",
            "displayName": f"PIV-D issuer ({issuer})",
            "issuer": issuer,
            "notificationType": notification,
            "renewalThresholdPercentage": threshold,
        }
        if help_url:
            body["helpUrl"] = help_url
        return await self._post(
            "/deviceManagement/derivedCredentials", body, "configure the tenant's issuer"
        )

    async def add_profile(
        self, body: dict[str, Any], *, assign_all_users: bool = True
    ) -> dict[str, Any]:
        doc = await self._post(
            "/deviceManagement/deviceConfigurations",
            body,
            f"create profile {body.get('displayName')}",
        )
        if assign_all_users:
            await self._post(
                f"/deviceManagement/deviceConfigurations/{doc['id']}/assign",
                {
                    "assignments": [
                        {"target": {"@odata.type": f"{GRAPH}allLicensedUsersAssignmentTarget"}}
                    ]
                },
                "assign profile",
            )
        return doc
