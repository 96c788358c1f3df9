"""The device's MDM channel to (mock) Intune: enrollment, check-in, status reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trust_store.clock import isoformat
from trust_store.stores import CredentialRole

from .device import Device
from .errors import ServiceRefusedError
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

    async def enroll(self, device: Device, *, again: bool = False) -> None:
        """Enroll with Intune unless the device holds a check-in token (`again`: enroll anew
        anyway). The device's hardware id makes enrolling twice one managed device."""
        if device.mdm.get("checkinToken") and not again:
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
                "hardwareId": device.spec.id,
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
        """Check in; a token the service no longer knows (401: it was reset, or it lost its
        state) enrolls the device again, once, and checks in with the new token."""
        try:
            doc = await self._checkin(device)
        except ServiceRefusedError as e:
            if e.status != 401:
                raise
            await self.enroll(device, again=True)
            doc = await self._checkin(device)
        return CheckIn(
            doc.get("derivedCredential"),
            list(doc.get("policies", [])),
            list(doc.get("actions", [])),
            list(doc.get("notifications", [])),
        )

    async def _checkin(self, device: Device) -> dict[str, Any]:
        return await self.transport.json_object(
            "POST",
            f"{self.base_url}/device/v1/checkin",
            json={"credential": self.credential_report(device)},
            headers=self._auth(device),
            during="Intune check-in",
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
