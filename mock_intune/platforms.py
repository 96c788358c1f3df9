"""Device platforms as data: how each one appears in Graph and how Intune treats it.

This is the one place mock Intune declares its platforms: the enrollment `platform` values (the
`Platform` members), each platform's Graph names (`operatingSystem`, `manufacturer`,
`deviceType`, default `deviceEnrollmentType`, the `@odata.type` name family of its profile
types) and its notification rule. Other modules read `TRAITS`; none compares platform names.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Platform(StrEnum):
    """Platforms as a device names itself when it enrolls (`/device/v1/enroll` `platform`)."""

    IOS = "ios"
    ANDROID = "android"
    WINDOWS = "windows"


@dataclass(frozen=True)
class PlatformTraits:
    #: `managedDevice.operatingSystem`.
    operating_system: str
    manufacturer: str
    #: `deviceEnrollmentType` when the device does not say.
    default_enrollment_type: str
    #: iOS: any change to a policy that uses derived credentials prompts the user to open
    #: Company Portal; Android (Entrust, Intercede) and Windows do not need the app opened.
    notify_on_policy_change: bool
    #: The start of the `@odata.type` name (after `microsoft.graph.`) of this platform's
    #: device-configuration types: `iosVpnConfiguration`, `androidDeviceOwnerWiFi...`.
    profile_type_prefix: str
    #: `managedDevice.deviceType`: the default, and overrides by lower-case model prefix (first
    #: match wins).
    device_type_default: str
    device_type_by_model: tuple[tuple[str, str], ...] = ()

    def device_type(self, model: str) -> str:
        lower = model.lower()
        return next(
            (kind for prefix, kind in self.device_type_by_model if lower.startswith(prefix)),
            self.device_type_default,
        )

    def owns_profile_type(self, odata_type: str) -> bool:
        """Whether a Graph profile type's name belongs to this platform's name family."""
        name = odata_type.removeprefix("#").removeprefix("microsoft.graph.")
        return name.startswith(self.profile_type_prefix)


TRAITS: dict[Platform, PlatformTraits] = {
    Platform.IOS: PlatformTraits(
        operating_system="iOS",
        manufacturer="Apple",
        default_enrollment_type="userEnrollment",
        notify_on_policy_change=True,
        profile_type_prefix="ios",
        device_type_default="iPhone",
        device_type_by_model=(("ipad", "iPad"),),
    ),
    Platform.ANDROID: PlatformTraits(
        operating_system="Android",
        manufacturer="",
        default_enrollment_type="androidEnterpriseFullyManaged",
        notify_on_policy_change=False,
        profile_type_prefix="androidDeviceOwner",
        device_type_default="androidEnterprise",
    ),
    Platform.WINDOWS: PlatformTraits(
        operating_system="Windows",
        manufacturer="",
        default_enrollment_type="windowsAzureADJoin",
        notify_on_policy_change=False,
        profile_type_prefix="windows",
        device_type_default="desktop",
    ),
}

#: Graph `deviceEnrollmentType` members (beta).
ENROLLMENT_TYPES = (
    "unknown",
    "userEnrollment",
    "deviceEnrollmentManager",
    "appleBulkWithUser",
    "appleBulkWithoutUser",
    "windowsAzureADJoin",
    "windowsBulkUserless",
    "windowsAutoEnrollment",
    "windowsBulkAzureDomainJoin",
    "windowsCoManagement",
    "windowsAzureADJoinUsingDeviceAuth",
    "appleUserEnrollment",
    "appleUserEnrollmentWithServiceAccount",
    "azureAdJoinUsingAzureVmExtension",
    "androidEnterpriseDedicatedDevice",
    "androidEnterpriseFullyManaged",
    "androidEnterpriseCorporateWorkProfile",
)
