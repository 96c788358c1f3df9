"""Users, enrolled devices, the credential each device reports, and per-profile device statuses,
with their Graph JSON shapes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from trust_store.clock import isoformat

from .fields import JsonObject
from .platforms import TRAITS, Platform


@dataclass
class User:
    id: str
    upn: str

    @property
    def display_name(self) -> str:
        return self.upn.split("@", 1)[0]

    @property
    def mail(self) -> str:
        return self.upn


@dataclass(frozen=True)
class ReportedCredential:
    """What a device says about the derived credential it holds."""

    issuer: str
    thumbprint: str
    not_before: dt.datetime
    not_after: dt.datetime
    settings_id: str

    def to_json(self) -> JsonObject:
        return {
            "issuer": self.issuer,
            "thumbprint": self.thumbprint,
            "notBefore": isoformat(self.not_before),
            "notAfter": isoformat(self.not_after),
            "settingsId": self.settings_id,
        }


@dataclass
class DeviceAction:
    name: str
    state: str
    started: dt.datetime
    updated: dt.datetime

    def to_json(self) -> JsonObject:
        return {
            "@odata.type": "#microsoft.graph.deviceActionResult",
            "actionName": self.name,
            "actionState": self.state,
            "startDateTime": isoformat(self.started),
            "lastUpdatedDateTime": isoformat(self.updated),
        }


@dataclass
class ManagedDevice:
    id: str
    user: User
    name: str
    platform: Platform
    os_version: str
    model: str
    enrollment_type: str
    enrolled: dt.datetime
    #: SHA-256 (hex) of the device's check-in token; the token itself is told once, at enroll.
    checkin_token_digest: str
    next_checkin: dt.datetime
    last_sync: dt.datetime | None = None
    credential: ReportedCredential | None = None
    #: Keys of notifications already sent, so each cause notifies once.
    notified: set[str] = field(default_factory=set)
    actions: list[DeviceAction] = field(default_factory=list)
    #: The device's stable hardware identifier, when it sent one (re-enrollment finds it).
    hardware_id: str = ""

    def to_json(self) -> JsonObject:
        traits = TRAITS[self.platform]
        return {
            "@odata.type": "#microsoft.graph.managedDevice",
            "id": self.id,
            "userId": self.user.id,
            "deviceName": self.name,
            "userPrincipalName": self.user.upn,
            "userDisplayName": self.user.display_name,
            "emailAddress": self.user.mail,
            "operatingSystem": traits.operating_system,
            "osVersion": self.os_version,
            "model": self.model,
            "manufacturer": traits.manufacturer,
            "deviceType": traits.device_type(self.model),
            "deviceEnrollmentType": self.enrollment_type,
            "managementAgent": "mdm",
            "managementState": "managed",
            "managedDeviceOwnerType": "company",
            "complianceState": "unknown",
            "enrolledDateTime": isoformat(self.enrolled),
            "lastSyncDateTime": isoformat(self.last_sync) if self.last_sync else None,
            "deviceActionResults": [a.to_json() for a in self.actions],
            # Not Graph (Graph has no per-device derived-credential state): a lab annotation.
            "@dcemu.derivedCredential": self.credential.to_json() if self.credential else None,
            "@dcemu.nextCheckinDateTime": isoformat(self.next_checkin),
        }


#: Device-reported statuses -> Graph `deviceConfigurationDeviceStatus.status`.
GRAPH_STATUS = {"succeeded": "compliant", "error": "error", "notApplicable": "notApplicable"}


@dataclass
class DeviceStatus:
    device: ManagedDevice
    profile_id: str
    version: int
    status: str
    detail: str
    reported: dt.datetime

    def to_json(self) -> JsonObject:
        return {
            "@odata.type": "#microsoft.graph.deviceConfigurationDeviceStatus",
            "id": f"{self.profile_id}_{self.device.id}",
            "deviceDisplayName": self.device.name,
            "userName": self.device.user.display_name,
            "userPrincipalName": self.device.user.upn,
            "deviceModel": self.device.model,
            "platform": 0,
            "status": GRAPH_STATUS[self.status],
            "lastReportedDateTime": isoformat(self.reported),
            "complianceGracePeriodExpirationDateTime": None,
            "@dcemu.reportedStatus": self.status,
            "@dcemu.reportedVersion": self.version,
            "@dcemu.detail": self.detail,
        }
