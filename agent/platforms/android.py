"""Android Enterprise: the Intune app enrolls; credentials go to the KeyChain of the managed
profile, named "work" on both kinds of device.

- Fully managed (COBO): the whole device is managed; there is no personal profile.
  Derived credentials need Android 7.0 or later (Intune's derived-credential documentation).
- Corporate-owned work profile (COPE): credentials go to the work profile; apps on the personal
  side cannot see them. Intune supports this enrollment from Android 8.0 (its corporate-owned
  work profile enrollment requirements: "Android OS version 8.0 and above").

The Intune app is `com.microsoft.intune` (Company Portal, `com.microsoft.windowsintune.companyportal`,
serves the personally owned work profile, which derived credentials do not support).
"""

from __future__ import annotations

from typing import ClassVar

from trust_store.stores import CertificateStore
from trust_store.stores.android_keychain import (
    INTUNE_APP,
    PERSONAL,
    WORK,
    AndroidKeyChain,
)

from ..errors import UnsupportedError
from .base import Family, Platform


class AndroidEnterprise(Platform):
    """What both Android Enterprise modes share; not registered (it has no `name`)."""

    display = "Android Enterprise"
    family = Family.ANDROID
    store_type = AndroidKeyChain
    credential_app = INTUNE_APP
    credential_app_name = "Intune app"
    credential_scope = WORK
    intune_os = "Android"
    #: The KeyChain profiles the device has.
    profiles: ClassVar[tuple[str, ...]] = (WORK,)
    #: Graph `deviceEnrollmentType` of this mode.
    enrollment_type: ClassVar[str] = ""

    def prepare_store(self, store: CertificateStore) -> None:
        if not isinstance(store, AndroidKeyChain):
            raise UnsupportedError(
                f"{self.display} needs an Android KeyChain, not a {type(store).__name__}"
            )
        store.set_profiles(self.profiles)
        store.register_app(self.credential_app, self.credential_scope)

    def install_managed_app(self, store: CertificateStore, app_id: str) -> None:
        assert isinstance(store, AndroidKeyChain)
        store.register_app(app_id, self.credential_scope)


class AndroidFullyManaged(AndroidEnterprise):
    name = "android-fully-managed"
    display = "Android Enterprise fully managed"
    min_os = (7, 0)
    profiles = (WORK,)
    enrollment_type = "androidEnterpriseFullyManaged"


class AndroidWorkProfile(AndroidEnterprise):
    name = "android-work-profile"
    display = "Android Enterprise corporate-owned work profile"
    min_os = (8, 0)
    profiles = (WORK, PERSONAL)
    enrollment_type = "androidEnterpriseCorporateWorkProfile"
