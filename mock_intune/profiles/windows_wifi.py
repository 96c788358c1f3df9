"""Windows enterprise Wi-Fi profile (`windowsWifiEnterpriseEAPConfiguration`).

Graph spells some names differently from the iOS type (`wifiSecurityType`, `proxySetting`,
`innerAuthenticationProtocolForEAPTTLS`). Windows profiles have no `derivedCredentialSettings`:
the certificate comes from the issuer's Windows app, not through the tenant's issuer, so Intune
neither holds these profiles back nor asks Windows devices to enroll for a credential
(`uses_derived_credential` is False even with `authenticationMethod: derivedCredential`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..fields import Choice, Flag, Integer, Text, TextList
from ..platforms import Platform
from . import vocab
from .base import GRAPH_NS, ProfileType, Reference, register
from .windows_trusted_root import Windows81TrustedRootCertificate

#: Graph `meteredConnectionLimitType`.
METERED_LIMITS = ("unrestricted", "fixed", "variable")
#: Graph `networkSingleSignOnType`.
SINGLE_SIGN_ON_TYPES = ("disabled", "prelogon", "postlogon")
#: Graph `wifiAuthenticationType`.
AUTHENTICATION_TYPES = ("none", "user", "machine", "machineOrUser", "guest")

_ROOT = (Windows81TrustedRootCertificate.odata_type,)


@register
class WindowsWifiEnterpriseEAPConfiguration(ProfileType):
    odata_type = GRAPH_NS + "windowsWifiEnterpriseEAPConfiguration"
    platform = Platform.WINDOWS
    fields = (
        # windowsWifiConfiguration
        Text(name="networkName", required=True, min_length=1, max_length=256),
        Text(name="ssid", required=True, min_length=1, max_length=32),
        Flag(name="connectAutomatically"),
        Flag(name="connectToPreferredNetwork"),
        Flag(name="connectWhenNetworkNameIsHidden"),
        Flag(name="forceFIPSCompliance"),
        Choice(name="meteredConnectionLimit", values=METERED_LIMITS),
        Choice(name="proxySetting", values=vocab.WIFI_PROXY_SETTINGS),
        Text(name="proxyManualAddress", max_length=2048),
        Integer(name="proxyManualPort", minimum=0, maximum=65535),
        Text(name="proxyAutomaticConfigurationUrl", max_length=2048),
        Choice(name="wifiSecurityType", values=vocab.WIFI_SECURITY_TYPES),
        Text(name="preSharedKey", max_length=64),
        # windowsWifiEnterpriseEAPConfiguration
        Choice(name="networkSingleSignOn", values=SINGLE_SIGN_ON_TYPES),
        Integer(name="maximumAuthenticationTimeoutInSeconds", minimum=1, maximum=120),
        Flag(name="promptForAdditionalAuthenticationCredentials"),
        Flag(name="enablePairwiseMasterKeyCaching"),
        Integer(name="maximumPairwiseMasterKeyCacheTimeInMinutes", minimum=5, maximum=1440),
        Integer(name="maximumNumberOfPairwiseMasterKeysInCache", minimum=1, maximum=255),
        Flag(name="enablePreAuthentication"),
        Integer(name="maximumPreAuthenticationAttempts", minimum=1, maximum=16),
        Choice(name="eapType", values=vocab.EAP_TYPES),
        TextList(name="trustedServerCertificateNames", max_items=500, max_length=256),
        Choice(name="authenticationMethod", values=vocab.WIFI_AUTHENTICATION_METHODS),
        Choice(name="innerAuthenticationProtocolForEAPTTLS", values=vocab.EAP_TTLS_INNER_METHODS),
        Text(name="outerIdentityPrivacyTemporaryValue", max_length=256),
        Flag(name="performServerValidation"),
        Flag(name="requireCryptographicBinding"),
        Flag(name="disableUserPromptForServerValidation"),
        Flag(name="userBasedVirtualLan"),
        Choice(name="authenticationType", values=AUTHENTICATION_TYPES),
        Flag(name="cacheCredentials"),
        Integer(name="authenticationRetryDelayPeriodInSeconds", minimum=1, maximum=3600),
        Integer(name="authenticationPeriodInSeconds", minimum=1, maximum=3600),
        Integer(name="eapolStartPeriodInSeconds", minimum=1, maximum=3600),
        Integer(name="maximumEAPOLStartMessages", minimum=1, maximum=100),
    )
    references = (
        Reference("rootCertificatesForServerValidation", _ROOT, max_items=500),
        # Single-valued in Graph: the root whose hash filters the client certificate.
        Reference("rootCertificateForClientValidation", _ROOT, max_items=1),
    )

    def check(self, props: Mapping[str, Any]) -> None:
        vocab.check_derived_credential_eap(props)
