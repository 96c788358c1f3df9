"""The platform interface: what differs between iOS, Android and Windows is data on the class
(its family, the enrolling app, where credentials are installed, the device key algorithm, the
minimum OS, the store) plus a few small hooks.

A platform *family* (`Family`) is what Intune's profile types, the certificate stores and the
payload renderers know a device by; several platforms may share one (both Android Enterprise
modes are `Family.ANDROID`). Each platform class declares its family once; everything on the
agent side (its store, which renderers apply) and the lab's tenant plan read it from there.

Adding a platform
-----------------
- `agent/platforms/<name>.py`: a `Platform` subclass with `name` (registers it), `family`,
  `store_type`, credential app and scope, `intune_os`, `min_os`, hooks; imported in
  `agent/platforms/__init__.py`. A new family also adds a `Family` member below (its value is
  the wire name: mock Intune's `Platform` value and the store's `platform_family`).
- `agent/payloads/<family>.py` (new family only): renderers whose base class sets `family`,
  one `odata_type` per class (registering it in `RENDERERS`); imported in
  `agent/payloads/__init__.py`.
- `trust_store/stores/<family>_*.py` (new family only): the `CertificateStore` named by
  `store_type`.
- `mock_intune/platforms.py` (new family only): a `Platform` member and its `PlatformTraits`
  (operatingSystem, manufacturer, deviceType, default enrollment type, profile @odata.type
  prefix, notification rule); `mock_intune/profiles/<family>_*.py`: its Graph profile types.
- `lab/tenant_profiles.py` (new family only): a `FAMILIES` entry (trusted-root type and fields,
  relying-party app, the `PLAN` of profiles); `lab/usage.py` `USES`: what the lab does with the
  credential; `lab/matrix.py` `DEVICES`: a device model of the new platform.
- `agent/issuers/purebred.py` `HAND_OVER` (new family only, if Purebred supports it).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

from trust_store.keys import KeyAlgorithm
from trust_store.stores import CertificateStore

from ..errors import UnsupportedError


class Family(StrEnum):
    """Platform families. The values are the wire names the other sides use for them (mock
    Intune's enrollment `platform`, the stores' `platform_family`)."""

    IOS = "ios"
    ANDROID = "android"
    WINDOWS = "windows"


class Platform:
    name: ClassVar[str]
    display: ClassVar[str]
    #: The family Intune and the payload renderers know this platform by.
    family: ClassVar[Family]
    #: The certificate store of a device of this platform.
    store_type: ClassVar[type[CertificateStore]]
    #: The app that runs the derived-credential flow on the device.
    credential_app: ClassVar[str]
    credential_app_name: ClassVar[str]
    #: Where the derived credential is installed (iOS access group, Android alias scope, ...).
    credential_scope: ClassVar[str]
    device_key: ClassVar[KeyAlgorithm] = KeyAlgorithm.EC_P256
    min_os: ClassVar[tuple[int, ...]] = (0,)
    #: Intune's `operatingSystem` value for this platform.
    intune_os: ClassVar[str]
    #: The enrollment QR code is read from the screen of the same PC (Windows provider apps),
    #: not scanned with the device's camera.
    code_from_screen: ClassVar[bool] = False
    #: Intune asks the device for a credential (iOS, Android); when False the user installs the
    #: provider's app, which enrolls on its own (Windows).
    intune_requests_credential: ClassVar[bool] = True

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "name" in cls.__dict__:
            PLATFORMS[cls.name] = cls

    def check_os(self, os_version: str) -> None:
        try:
            parts = tuple(int(p) for p in os_version.split("."))
        except ValueError as e:
            raise UnsupportedError(f"{self.display}: unreadable OS version {os_version!r}") from e
        if parts < self.min_os:
            need = ".".join(str(p) for p in self.min_os)
            raise UnsupportedError(
                f"{self.display} {os_version} is not supported for derived credentials "
                f"(needs {need} or later)"
            )

    @property
    def store_family(self) -> str:
        """The family's name (what `trust_store` keys its stores by); read `family` instead."""
        return self.family.value

    def new_store(self) -> CertificateStore:
        return self.store_type()

    def prepare_store(self, store: CertificateStore) -> None:
        """Register the platform's apps in a fresh store (e.g. keychain entitlements)."""
        return None

    def install_managed_app(self, store: CertificateStore, app_id: str) -> None:
        """Intune installs a managed app: it runs where the derived credential is installed
        (same keychain team group, same Android profile, same Windows user). Whether it may use
        the credential is still the store's rule (an Android grant, for instance)."""
        raise UnsupportedError(f"{self.display}: managed apps are not emulated")


PLATFORMS: dict[str, type[Platform]] = {}


def platform(name: str) -> Platform:
    try:
        return PLATFORMS[name]()
    except KeyError as e:
        raise UnsupportedError(
            f"unknown platform {name!r}; known: {', '.join(sorted(PLATFORMS))}"
        ) from e
