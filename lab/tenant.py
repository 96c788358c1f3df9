"""The Intune administrator: configures the tenant through the mock's Graph-shaped admin API,
as an app registration would: an app-only bearer token from the client-credentials grant
(refreshed on the lab clock before it expires), sent on every `/beta` call."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from agent.http import Transport
from mock_intune import GraphApp
from trust_store.clock import Clock

GRAPH = "#microsoft.graph."
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
#: Get a new token this long before the current one expires (at most half its lifetime).
REFRESH_BEFORE = dt.timedelta(minutes=5)


@dataclass
class TenantAdmin:
    transport: Transport
    intune_url: str
    #: The app registration's client credentials (tenant, client id, secret).
    credentials: GraphApp
    clock: Clock
    _token: str | None = field(default=None, repr=False)
    _refresh_at: dt.datetime | None = field(default=None, repr=False)

    @property
    def base(self) -> str:
        return f"{self.intune_url}/beta"

    async def access_token(self) -> str:
        """A live Graph access token: the one held, or a new one by client credentials."""
        now = self.clock.now()
        if self._token is not None and self._refresh_at is not None and now < self._refresh_at:
            return self._token
        app = self.credentials
        doc = await self.transport.json_object(
            "POST",
            f"{self.intune_url}{app.token_path}",
            data={
                "grant_type": "client_credentials",
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "scope": GRAPH_SCOPE,
            },
            during="get a Graph token (client credentials)",
        )
        lifetime = dt.timedelta(seconds=int(doc["expires_in"]))
        self._token = str(doc["access_token"])
        self._refresh_at = now + lifetime - min(REFRESH_BEFORE, lifetime / 2)
        return self._token

    async def graph(self, method: str, path: str, *, during: str, **kw: Any) -> Any:
        """A Graph call (`path` under `/beta`) with the bearer token."""
        headers = {**kw.pop("headers", {}), "Authorization": f"Bearer {await self.access_token()}"}
        return await self.transport.json(
            method, f"{self.base}{path}", headers=headers, during=during, **kw
        )

    async def _post(self, path: str, body: dict[str, Any], during: str) -> dict[str, Any]:
        doc: dict[str, Any] = await self.graph("POST", path, json=body, during=during)
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
