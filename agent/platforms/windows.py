"""Windows 10/11: no smart-card registration on the device; the derived-credential provider's
app installs the certificate into the signed-in user's personal store (CurrentUser\\My), where
Wi-Fi and VPN profiles with "Derived credential" authentication find it."""

from __future__ import annotations

from typing import ClassVar

from trust_store.stores import CertificateStore
from trust_store.stores.windows_store import (
    PROVIDER_APP,
    SIGNED_IN_USER,
    StoreLocation,
    StoreName,
    WindowsCertStore,
    store_path,
)

from ..errors import UnsupportedError
from .base import Family, Platform


class Windows(Platform):
    name = "windows"
    display = "Windows 10/11"
    family = Family.WINDOWS
    store_type = WindowsCertStore
    credential_app = PROVIDER_APP
    credential_app_name = "derived-credential provider app"
    credential_scope = store_path(StoreLocation.CURRENT_USER, StoreName.MY)
    # Windows 11 still reports 10.0.x; Windows 8.1 (6.3) is refused.
    min_os = (10, 0)
    intune_os = "Windows"
    code_from_screen = True
    intune_requests_credential = False
    #: Graph `deviceEnrollmentType` of an Entra-joined device.
    enrollment_type: ClassVar[str] = "windowsAzureADJoin"

    def prepare_store(self, store: CertificateStore) -> None:
        if not isinstance(store, WindowsCertStore):
            raise UnsupportedError(
                f"{self.display} needs the Windows certificate stores, not a {type(store).__name__}"
            )
        store.register_app(self.credential_app, SIGNED_IN_USER)

    def install_managed_app(self, store: CertificateStore, app_id: str) -> None:
        assert isinstance(store, WindowsCertStore)
        store.register_app(app_id, SIGNED_IN_USER)
