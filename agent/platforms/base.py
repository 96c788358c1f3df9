"""The platform interface: what differs between iOS, Android and Windows is data on the class
(the enrolling app, where credentials are installed, the device key algorithm, the minimum OS,
the store) plus a few small hooks."""

from __future__ import annotations

from typing import Any, ClassVar

from trust_store.keys import KeyAlgorithm
from trust_store.stores import CertificateStore, store_for

from ..errors import UnsupportedError


class Platform:
    name: ClassVar[str]
    display: ClassVar[str]
    store_family: ClassVar[str]
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

    def new_store(self) -> CertificateStore:
        return store_for(self.store_family)

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
