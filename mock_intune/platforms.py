"""Device platforms as data: how each one appears in Graph and how Intune treats it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Platform(StrEnum):
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

    def device_type(self, model: str) -> str:
        if self.operating_system == "iOS":
            return "iPad" if model.lower().startswith("ipad") else "iPhone"
        if self.operating_system == "Android":
            return "androidEnterprise"
        return "desktop"


TRAITS: dict[Platform, PlatformTraits] = {
    Platform.IOS: PlatformTraits("iOS", "Apple", "userEnrollment", True),
    Platform.ANDROID: PlatformTraits("Android", "", "androidEnterpriseFullyManaged", False),
    Platform.WINDOWS: PlatformTraits("Windows", "", "windowsAzureADJoin", False),
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
