"""Windows 10/11 VPN profile (`windows10VpnConfiguration`).

`authenticationMethod: derivedCredential` is accepted: Microsoft documents it as "not working as
expected" on Windows devices, which is a device-side behaviour (the agent models it as a known
issue). Like Windows Wi-Fi, the type has no `derivedCredentialSettings`: the certificate comes
from the issuer's Windows app, so `uses_derived_credential` stays False.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..fields import Base64, Choice, Flag, Text, TextList
from ..platforms import Platform
from ..problems import field_error
from .base import GRAPH_NS, ProfileType, register
from .vpn_common import vpn_servers

#: Graph `windows10VpnConnectionType`.
CONNECTION_TYPES = (
    "pulseSecure",
    "f5EdgeClient",
    "dellSonicWallMobileConnect",
    "checkPointCapsuleVpn",
    "automatic",
    "ikEv2",
    "l2tp",
    "pptp",
    "citrix",
    "paloAltoGlobalProtect",
    "ciscoAnyConnect",
    "unknownFutureValue",
    "microsoftTunnel",
)
#: Graph `windows10VpnAuthenticationMethod`.
AUTHENTICATION_METHODS = ("certificate", "usernameAndPassword", "customEapXml", "derivedCredential")
#: Graph `windows10VpnProfileTarget`.
PROFILE_TARGETS = ("user", "device", "autoPilotDevice")


@register
class Windows10VpnConfiguration(ProfileType):
    odata_type = GRAPH_NS + "windows10VpnConfiguration"
    platform = Platform.WINDOWS
    fields = (
        # windowsVpnConfiguration
        Text(name="connectionName", required=True, min_length=1, max_length=1000),
        vpn_servers("servers"),
        Base64(name="customXml"),
        # windows10VpnConfiguration
        Choice(name="profileTarget", values=PROFILE_TARGETS),
        Choice(name="connectionType", values=CONNECTION_TYPES),
        Choice(name="authenticationMethod", values=AUTHENTICATION_METHODS),
        Base64(name="eapXml"),
        Flag(name="enableSplitTunneling"),
        Flag(name="enableAlwaysOn"),
        Flag(name="enableDeviceTunnel"),
        Flag(name="enableDnsRegistration"),
        Flag(name="rememberUserCredentials"),
        Flag(name="enableConditionalAccess"),
        Flag(name="enableSingleSignOnWithAlternateCertificate"),
        Flag(name="onlyAssociatedAppsCanUseConnection"),
        TextList(name="dnsSuffixes", max_items=500, max_length=256),
        TextList(name="trustedNetworkDomains", max_items=500, max_length=256),
        Text(name="windowsInformationProtectionDomain", max_length=256),
    )

    def check(self, props: Mapping[str, Any]) -> None:
        if props.get("authenticationMethod") == "customEapXml" and not props.get("eapXml"):
            raise field_error(
                "eapXml", "is required when authenticationMethod is customEapXml (base64 XML)"
            )
