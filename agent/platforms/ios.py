"""iOS/iPadOS: Company Portal enrolls; the credential goes to the keychain access group that
Company Portal shares with managed apps of the same team."""

from __future__ import annotations

from trust_store.stores import CertificateStore
from trust_store.stores.ios_keychain import COMPANY_PORTAL, SHARED_GROUP, IOSKeychain

from .base import Family, Platform


class IOS(Platform):
    name = "ios"
    display = "iOS/iPadOS"
    family = Family.IOS
    store_type = IOSKeychain
    credential_app = COMPANY_PORTAL
    credential_app_name = "Company Portal"
    credential_scope = SHARED_GROUP
    min_os = (15, 0)
    intune_os = "iOS"

    def prepare_store(self, store: CertificateStore) -> None:
        assert isinstance(store, IOSKeychain)
        store.register_app(COMPANY_PORTAL, {SHARED_GROUP})

    def install_managed_app(self, store: CertificateStore, app_id: str) -> None:
        assert isinstance(store, IOSKeychain)
        store.register_app(app_id, {SHARED_GROUP})
