"""iOS/iPadOS VPN profile (`iosVpnConfiguration`, the `appleVpnConfiguration` properties plus
the iOS ones).

The derived-credential case is normally `connectionType: ikEv2` with
`authenticationMethod: derivedCredential` (the native IKEv2 client authenticates with the
certificate); the mock accepts a derived credential with every connection type, as Intune does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..fields import Choice, Flag, Integer, Text, TextList
from ..platforms import Platform
from ..problems import field_error
from . import vocab
from .base import GRAPH_NS, ProfileType, register
from .records import RecordList
from .vpn_common import SHARED_SECRET, VPN_AUTHENTICATION_METHODS, vpn_server

#: Graph `appleVpnConnectionType`.
CONNECTION_TYPES = (
    "ciscoAnyConnect",
    "pulseSecure",
    "f5EdgeClient",
    "dellSonicWallMobileConnect",
    "checkPointCapsuleVpn",
    "customVpn",
    "ciscoIPSec",
    "citrix",
    "ciscoAnyConnectV2",
    "paloAltoGlobalProtect",
    "zscalerPrivateAccess",
    "f5Access2018",
    "citrixSso",
    "paloAltoGlobalProtectV2",
    "ikEv2",
    "alwaysOn",
    "microsoftTunnel",
    "netMotionMobility",
    "microsoftProtect",
)
IKEV2 = "ikEv2"
#: Graph `vpnProviderType`.
PROVIDER_TYPES = ("notConfigured", "appProxy", "packetTunnel")
#: Graph `appListItem`.
APP_LIST_ITEM = (
    Text(name="name", required=True, min_length=1, max_length=256),
    Text(name="publisher", max_length=256),
    Text(name="appStoreUrl", max_length=2048),
    Text(name="appId", max_length=256),
)


@register
class IosVpnConfiguration(ProfileType):
    odata_type = GRAPH_NS + "iosVpnConfiguration"
    platform = Platform.IOS
    fields = (
        # appleVpnConfiguration
        Text(name="connectionName", required=True, min_length=1, max_length=256),
        Choice(name="connectionType", required=True, values=CONNECTION_TYPES),
        vpn_server("server", required=True),
        Choice(name="authenticationMethod", values=VPN_AUTHENTICATION_METHODS),
        Text(name="loginGroupOrDomain", max_length=256),
        Text(name="role", max_length=256),
        Text(name="realm", max_length=256),
        Text(name="identifier", max_length=256),
        Flag(name="enableSplitTunneling"),
        Flag(name="enablePerApp"),
        TextList(name="safariDomains", max_items=500, max_length=256),
        TextList(name="associatedDomains", max_items=500, max_length=256),
        TextList(name="excludedDomains", max_items=500, max_length=256),
        Choice(name="providerType", values=PROVIDER_TYPES),
        Flag(name="disableOnDemandUserOverride"),
        Flag(name="disconnectOnIdle"),
        Integer(name="disconnectOnIdleTimerInSeconds", minimum=0, maximum=65535),
        Flag(name="optInToDeviceIdSharing"),
        # iosVpnConfiguration
        RecordList(name="targetedMobileApps", members=APP_LIST_ITEM, max_items=500),
        Text(name="microsoftTunnelSiteId", max_length=256),
        Text(name="userDomain", max_length=256),
        Flag(name="strictEnforcement"),
        Text(name="cloudName", max_length=256),
        TextList(name="excludeList", max_items=500, max_length=256),
    )

    def check(self, props: Mapping[str, Any]) -> None:
        """Graph: `sharedSecret` is for the native IKEv2 client only."""
        if props.get("authenticationMethod") == SHARED_SECRET and (
            props.get("connectionType") != IKEV2
        ):
            raise field_error(
                "authenticationMethod",
                f"sharedSecret is only available with connectionType {IKEV2}, "
                f"not {props.get('connectionType')!r}",
                allowed=[m for m in VPN_AUTHENTICATION_METHODS if m != SHARED_SECRET],
            )

    def uses_derived_credential(self, props: Mapping[str, Any]) -> bool:
        return props.get("authenticationMethod") == vocab.DERIVED_CREDENTIAL
