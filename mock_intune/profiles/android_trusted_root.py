"""Android Enterprise (fully managed, corporate-owned work profile) trusted certificate profile
(`androidDeviceOwnerTrustedRootCertificate`)."""

from __future__ import annotations

from ..fields import Text
from ..platforms import Platform
from .base import GRAPH_NS, ProfileType, register
from .ios_trusted_root import CaCertificate


@register
class AndroidDeviceOwnerTrustedRootCertificate(ProfileType):
    odata_type = GRAPH_NS + "androidDeviceOwnerTrustedRootCertificate"
    platform = Platform.ANDROID
    fields = (
        CaCertificate(name="trustedRootCertificate", required=True),
        Text(name="certFileName", max_length=260),
    )
