"""Android Enterprise enterprise Wi-Fi profile (`androidDeviceOwnerEnterpriseWiFiConfiguration`).

Delivered to fully managed and corporate-owned work profile devices alike (both enroll as
platform `android`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..fields import Choice, Flag, Integer, Text, TextList
from ..platforms import Platform
from . import vocab
from .android_trusted_root import AndroidDeviceOwnerTrustedRootCertificate
from .base import GRAPH_NS, ProfileType, Reference, register

#: Graph `androidDeviceOwnerWiFiSecurityType`.
SECURITY_TYPES = ("open", "wep", "wpaPersonal", "wpaEnterprise")
#: Graph `androidEapType`: Android offers only these three.
ANDROID_EAP_TYPES = ("eapTls", "eapTtls", "peap")
#: Graph `nonEapAuthenticationMethodForPeap`.
PEAP_INNER_METHODS = ("none", "microsoftChapVersionTwo")
#: Graph `macAddressRandomizationMode`.
MAC_RANDOMIZATION_MODES = ("automatic", "hardware", "unknownFutureValue")

_ROOT = (AndroidDeviceOwnerTrustedRootCertificate.odata_type,)


@register
class AndroidDeviceOwnerEnterpriseWiFiConfiguration(ProfileType):
    odata_type = GRAPH_NS + "androidDeviceOwnerEnterpriseWiFiConfiguration"
    platform = Platform.ANDROID
    fields = (
        # androidDeviceOwnerWiFiConfiguration
        Text(name="networkName", required=True, min_length=1, max_length=256),
        Text(name="ssid", required=True, min_length=1, max_length=32),
        Flag(name="connectAutomatically"),
        Flag(name="connectWhenNetworkNameIsHidden"),
        Choice(name="wiFiSecurityType", values=SECURITY_TYPES),
        Text(name="preSharedKey", max_length=64),
        Flag(name="preSharedKeyIsSet"),
        Choice(name="proxySettings", values=vocab.WIFI_PROXY_SETTINGS),
        Text(name="proxyManualAddress", max_length=2048),
        Integer(name="proxyManualPort", minimum=0, maximum=65535),
        Text(name="proxyAutomaticConfigurationUrl", max_length=2048),
        Text(name="proxyExclusionList", max_length=4096),
        Choice(name="macAddressRandomizationMode", values=MAC_RANDOMIZATION_MODES),
        # androidDeviceOwnerEnterpriseWiFiConfiguration
        Choice(name="eapType", values=ANDROID_EAP_TYPES),
        TextList(name="trustedServerCertificateNames", max_items=500, max_length=256),
        Choice(name="authenticationMethod", values=vocab.WIFI_AUTHENTICATION_METHODS),
        Choice(name="innerAuthenticationProtocolForEapTtls", values=vocab.EAP_TTLS_INNER_METHODS),
        Choice(name="innerAuthenticationProtocolForPeap", values=PEAP_INNER_METHODS),
        Text(name="outerIdentityPrivacyTemporaryValue", max_length=256),
    )
    references = (
        # Single-valued in Graph; bound here as a one-item list like the to-many relationship.
        Reference("rootCertificateForServerValidation", _ROOT, max_items=1),
        Reference("rootCertificatesForServerValidation", _ROOT, max_items=500),
    )

    def check(self, props: Mapping[str, Any]) -> None:
        vocab.check_derived_credential_eap(props)

    def uses_derived_credential(self, props: Mapping[str, Any]) -> bool:
        return props.get("authenticationMethod") == vocab.DERIVED_CREDENTIAL
