"""The Intune administrator: configures the tenant through the mock's Graph-shaped admin API."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

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

    async def add_trusted_root(
        self, name: str, cert: x509.Certificate, platform_type: str = "ios"
    ) -> dict[str, Any]:
        return await self.add_profile(
            {
                "@odata.type": f"{GRAPH}{platform_type}TrustedRootCertificate",
                "displayName": name,
                "trustedRootCertificate": base64.b64encode(
                    cert.public_bytes(Encoding.DER)
                ).decode(),
                "certFileName": name.lower().replace(" ", "-") + ".cer",
            }
        )

    async def add_ios_wifi(
        self,
        name: str,
        ssid: str,
        *,
        eap_type: str = "eapTls",
        server_names: list[str],
        root_ids: list[str],
    ) -> dict[str, Any]:
        return await self.add_profile(
            {
                "@odata.type": f"{GRAPH}iosEnterpriseWiFiConfiguration",
                "displayName": name,
                "ssid": ssid,
                "networkName": ssid,
                "connectAutomatically": True,
                "wiFiSecurityType": "wpa2Enterprise",
                "eapType": eap_type,
                "authenticationMethod": "derivedCredential",
                "trustedServerCertificateNames": server_names,
                "rootCertificatesForServerValidation@odata.bind": [
                    f"{self.base}/deviceManagement/deviceConfigurations/{rid}" for rid in root_ids
                ],
            }
        )
