"""The device's MDM channel to (mock) Intune: enrollment, check-in, status reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trust_store.clock import isoformat
from trust_store.stores import CredentialRole

from .device import Device
from .http import Transport


@dataclass
class CheckIn:
    derived_credential: dict[str, Any] | None
    policies: list[dict[str, Any]]
    actions: list[dict[str, str]]
    notifications: list[dict[str, str]]


class IntuneChannel:
    def __init__(self, transport: Transport, base_url: str) -> None:
        self.transport = transport
        self.base_url = base_url.rstrip("/")

    def _auth(self, device: Device) -> dict[str, str]:
        return {"Authorization": f"Bearer {device.mdm['checkinToken']}"}

    async def enroll(self, device: Device) -> None:
        if device.mdm.get("checkinToken"):
            return
        doc = await self.transport.json_object(
            "POST",
            f"{self.base_url}/device/v1/enroll",
            json={
                "deviceName": device.spec.name,
                "upn": device.upn,
                "platform": device.platform.family.value,
                "osVersion": device.spec.os_version,
                "model": device.spec.model,
                "enrollmentType": device.spec.enrollment_type,
            },
            during="Intune enrollment",
        )
        device.mdm = {"deviceId": doc["deviceId"], "checkinToken": doc["checkinToken"]}

    def credential_report(self, device: Device) -> dict[str, Any] | None:
        ids = device.store.all_identities()
        auth = [
            i
            for i in ids
            if i.role is CredentialRole.PIV_AUTH
            and i.current
            and i.scope == device.platform.credential_scope
        ]
        if not auth:
            return None
        newest = max(auth, key=lambda i: i.cert.not_valid_before_utc)
        return {
            "issuer": newest.attrs.get("intuneIssuer", newest.issuer),
            "thumbprint": newest.thumbprint,
            "notBefore": isoformat(newest.cert.not_valid_before_utc),
            "notAfter": isoformat(newest.cert.not_valid_after_utc),
            "settingsId": newest.attrs.get("settingsId", ""),
        }

    async def checkin(self, device: Device) -> CheckIn:
        doc = await self.transport.json_object(
            "POST",
            f"{self.base_url}/device/v1/checkin",
            json={"credential": self.credential_report(device)},
            headers=self._auth(device),
            during="Intune check-in",
        )
        return CheckIn(
            doc.get("derivedCredential"),
            list(doc.get("policies", [])),
            list(doc.get("actions", [])),
            list(doc.get("notifications", [])),
        )

    async def report(
        self, device: Device, policy: dict[str, Any], status: str, detail: str = ""
    ) -> None:
        await self.transport.request(
            "POST",
            f"{self.base_url}/device/v1/status",
            json={
                "policyId": policy["id"],
                "version": policy.get("version", 1),
                "status": status,
                "detail": detail,
            },
            headers=self._auth(device),
            during="Intune status report",
        )
