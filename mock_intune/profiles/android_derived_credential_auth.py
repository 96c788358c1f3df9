"""Android Enterprise derived-credential app-authentication profile
(`androidDeviceOwnerDerivedCredentialAuthenticationConfiguration`): certificate access either
"require user approval" (`userApproval`) or "grant silently to the listed apps"
(`specificApps` with `silentCertificateAccessDetails`, at most 50 package ids)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..fields import Choice, Text
from ..platforms import Platform
from ..problems import field_error
from .base import GRAPH_NS, ProfileType, register
from .records import RecordList

#: Graph `androidDeviceOwnerCertificateAccessType`.
ACCESS_TYPES = ("userApproval", "specificApps", "unknownFutureValue")
USER_APPROVAL = "userApproval"
SPECIFIC_APPS = "specificApps"
#: Graph: `silentCertificateAccessDetails` holds at most 50 items.
MAX_SILENT_APPS = 50
#: An Android application id (package name): two or more dot-separated Java identifiers.
PACKAGE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+$")


@register
class AndroidDeviceOwnerDerivedCredentialAuthenticationConfiguration(ProfileType):
    odata_type = GRAPH_NS + "androidDeviceOwnerDerivedCredentialAuthenticationConfiguration"
    platform = Platform.ANDROID
    fields = (
        Choice(name="certificateAccessType", values=ACCESS_TYPES),
        RecordList(
            name="silentCertificateAccessDetails",
            members=(Text(name="packageId", required=True, min_length=1, max_length=256),),
            max_items=MAX_SILENT_APPS,
        ),
    )

    def check(self, props: Mapping[str, Any]) -> None:
        access = props.get("certificateAccessType") or USER_APPROVAL
        apps = props.get("silentCertificateAccessDetails") or []
        seen: set[str] = set()
        for i, app in enumerate(apps):
            pid = app["packageId"]
            path = f"silentCertificateAccessDetails[{i}].packageId"
            if not PACKAGE_ID.match(pid):
                raise field_error(path, f"{pid!r} is not an Android package name (com.example.app)")
            if pid in seen:
                raise field_error(path, f"{pid!r} is listed twice")
            seen.add(pid)
        if access == SPECIFIC_APPS and not apps:
            raise field_error(
                "silentCertificateAccessDetails",
                "certificateAccessType specificApps needs at least one app (packageId) to grant "
                "the certificate to silently",
            )
        if access != SPECIFIC_APPS and apps:
            raise field_error(
                "silentCertificateAccessDetails",
                f"only applies with certificateAccessType {SPECIFIC_APPS}, not {access!r}; "
                "set it to null or change certificateAccessType",
            )

    def uses_derived_credential(self, props: Mapping[str, Any]) -> bool:
        return True
