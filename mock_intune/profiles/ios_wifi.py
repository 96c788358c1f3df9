"""iOS/iPadOS enterprise Wi-Fi profile (`iosEnterpriseWiFiConfiguration`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..fields import Choice, Flag, Integer, Text, TextList
from ..platforms import Platform
from . import vocab
from .base import GRAPH_NS, ProfileType, Reference, register
from .ios_trusted_root import IosTrustedRootCertificate


@register
class IosEnterpriseWiFiConfiguration(ProfileType):
    odata_type = GRAPH_NS + "iosEnterpriseWiFiConfiguration"
    platform = Platform.IOS
    fields = (
        # iosWiFiConfiguration
        Text(name="networkName", required=True, min_length=1, max_length=256),
        Text(name="ssid", required=True, min_length=1, max_length=32),
        Flag(name="connectAutomatically"),
        Flag(name="connectWhenNetworkNameIsHidden"),
        Flag(name="disableMacAddressRandomization"),
        Choice(name="wiFiSecurityType", values=vocab.WIFI_SECURITY_TYPES),
        Choice(name="proxySettings", values=vocab.WIFI_PROXY_SETTINGS),
        Text(name="proxyManualAddress", max_length=2048),
        Integer(name="proxyManualPort", minimum=0, maximum=65535),
        Text(name="proxyAutomaticConfigurationUrl", max_length=2048),
        Text(name="preSharedKey", max_length=64),
        # iosEnterpriseWiFiConfiguration
        Choice(name="eapType", values=vocab.EAP_TYPES),
        Choice(name="eapFastConfiguration", values=vocab.EAP_FAST_CONFIGURATIONS),
        TextList(name="trustedServerCertificateNames", max_items=500, max_length=256),
        Choice(name="authenticationMethod", values=vocab.WIFI_AUTHENTICATION_METHODS),
        Choice(name="innerAuthenticationProtocolForEapTtls", values=vocab.EAP_TTLS_INNER_METHODS),
        Text(name="outerIdentityPrivacyTemporaryValue", max_length=256),
        Text(name="usernameFormatString", max_length=256),
        Text(name="passwordFormatString", max_length=256),
    )
    references = (
        Reference(
            "rootCertificatesForServerValidation",
            (IosTrustedRootCertificate.odata_type,),
            max_items=500,
        ),
    )

    def check(self, props: Mapping[str, Any]) -> None:
        vocab.check_derived_credential_eap(props)

    def uses_derived_credential(self, props: Mapping[str, Any]) -> bool:
        return props.get("authenticationMethod") == vocab.DERIVED_CREDENTIAL
