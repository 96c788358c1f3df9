"""The device's MDM channel to (mock) Intune: enrollment, check-in, status reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trust_store.clock import isoformat
from trust_store.stores import CredentialRole

from .device import Device
from .errors import MalformedAnswerError, ServiceRefusedError
from .http import Transport


@dataclass
class CheckIn:
    derived_credential: dict[str, Any] | None
    policies: list[dict[str, Any]]
    actions: list[dict[str, str]]
    notifications: list[dict[str, str]]

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> CheckIn:
        """A check-in answer, checked: anything the protocol does not allow is a
        `MalformedAnswerError` (never a raw KeyError or TypeError later)."""
        derived = doc.get("derivedCredential")
        if derived is not None and not isinstance(derived, dict):
            raise _malformed("derivedCredential must be an object or null")
        policies = _objects(doc, "policies")
        for p in policies:
            if not isinstance(p.get("id"), str) or not isinstance(p.get("@odata.type", ""), str):
                raise _malformed("every policy needs a string id and @odata.type")
        actions = [_strings(a, "actions") for a in _objects(doc, "actions")]
        notices = [_strings(n, "notifications") for n in _objects(doc, "notifications")]
        return cls(derived, policies, actions, notices)


def _malformed(what: str) -> MalformedAnswerError:
    return MalformedAnswerError(
        f"the check-in answer is not the protocol's: {what}", "Intune check-in"
    )


def _objects(doc: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _malformed(f"{key} must be a list of objects")
    return value


def _strings(obj: dict[str, Any], key: str) -> dict[str, str]:
    return {k: v if isinstance(v, str) else str(v) for k, v in obj.items()}


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
        device_id, token = doc.get("deviceId"), doc.get("checkinToken")
        if not isinstance(device_id, str) or not isinstance(token, str) or not token:
            raise MalformedAnswerError(
                "the enrollment answer lacks deviceId or checkinToken", "Intune enrollment"
            )
        device.mdm = {"deviceId": device_id, "checkinToken": token}

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
        return CheckIn.from_json(doc)

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
