"""Windows 8.1 and later trusted certificate profile (`windows81TrustedRootCertificate`)."""

from __future__ import annotations

from ..fields import Choice, Text
from ..platforms import Platform
from .base import GRAPH_NS, ProfileType, register
from .ios_trusted_root import CaCertificate

#: Graph `certificateDestinationStore`: where Windows installs the certificate.
DESTINATION_STORES = (
    "computerCertStoreRoot",
    "computerCertStoreIntermediate",
    "userCertStoreIntermediate",
)


@register
class Windows81TrustedRootCertificate(ProfileType):
    odata_type = GRAPH_NS + "windows81TrustedRootCertificate"
    platform = Platform.WINDOWS
    fields = (
        CaCertificate(name="trustedRootCertificate", required=True),
        Text(name="certFileName", max_length=260),
        Choice(name="destinationStore", values=DESTINATION_STORES),
    )
