"""The iOS/iPadOS keychain: identities in access groups, trusted roots from profiles.

An app may use an item when the item's access group is among the app's keychain-access-groups
entitlements. Company Portal installs the derived credential into a group it shares with the
managed apps of the same team (the Intune "derived credential" sharing); an app outside it sees
nothing.
"""

from __future__ import annotations

from typing import Any

from ..errors import StoreError
from .base import CertificateStore, Identity

#: Company Portal's shared group (team identifier prefix + group), as the emulator names it.
COMPANY_PORTAL = "com.microsoft.CompanyPortal"
SHARED_GROUP = "UBF8T346G9.com.microsoft.intune.derivedcredential"


class IOSKeychain(CertificateStore):
    platform_family = "ios"

    def __init__(self) -> None:
        super().__init__()
        self._groups: dict[str, set[str]] = {COMPANY_PORTAL: {SHARED_GROUP}}

    def register_app(self, bundle_id: str, access_groups: set[str]) -> None:
        if not bundle_id or not access_groups:
            raise StoreError("an app needs a bundle id and at least one keychain access group")
        self._groups[bundle_id] = set(access_groups)

    def access_groups(self, bundle_id: str) -> set[str]:
        return set(self._groups.get(bundle_id, set()))

    def may_use(self, app: str, identity: Identity) -> bool:
        return identity.scope in self._groups.get(app, set())

    def denial_reason(self, app: str, identity: Identity) -> str:
        return (
            f"{app} is not entitled to keychain access group {identity.scope!r}; "
            f"its groups are {sorted(self._groups.get(app, set())) or 'none'}"
        )

    def extra_json(self) -> dict[str, Any]:
        return {"groups": {k: sorted(v) for k, v in self._groups.items()}}

    def load_extra(self, extra: dict[str, Any]) -> None:
        for k, v in extra.get("groups", {}).items():
            self._groups[k] = set(v)
