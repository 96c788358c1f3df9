"""The profiles the lab's administrator deploys, as Graph beta bodies, per platform family.

Every family gets the derived-credential issuer's root and the RADIUS server's root (a trusted
root profile is required: without it the chain check fails), then every profile type that
Intune lets use a derived credential on that platform (Intune's "Use derived credentials"
article):

- iOS/iPadOS: Wi-Fi, VPN (IKEv2), Exchange email with S/MIME signing and encryption, app
  authentication;
- Android Enterprise: Wi-Fi, app authentication (certificate access granted silently to the
  lab's relying-party app);
- Windows: Wi-Fi and VPN (the VPN reproduces the documented known issue).

The bodies are data: `FAMILIES[family]` names the family's trusted-root type (and the fields it
adds), the managed app that signs in to the relying party and the plan, `(key, builder)` pairs; a
builder takes the ids of the root profiles already created (for `@odata.bind`) and the tenant's
choices, and returns the body. The families are the agent's (`agent.platforms.Family`): `FAMILY`
maps each registered agent platform to its family, read from the agent's platform registry.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from agent.platforms import PLATFORMS, Family

GRAPH = "#microsoft.graph."
#: The package / bundle id of the managed app that signs in to the lab's relying party.
FIELD_APP = "com.corp.fieldapp"
RADIUS_NAMES = ["radius.corp.example"]
VPN_SERVER = {
    "@odata.type": "microsoft.graph.vpnServer",
    "address": "vpn.corp.example",
    "description": "Corp VPN gateway",
    "isDefaultServer": True,
}

Body = dict[str, Any]
Builder = Callable[["Roots"], Body]

#: The agent's platform names -> the family Intune (and its profile types) knows them as, as the
#: agent's platform registry declares it.
FAMILY: dict[str, Family] = {name: cls.family for name, cls in PLATFORMS.items()}


@dataclass(frozen=True)
class Roots:
    """Ids of the root profiles created for one family, how to bind them, and the tenant's
    choices the bodies depend on."""

    graph_base: str
    derived: str
    radius: str
    #: Graph `eapType` of the Wi-Fi profiles (eapTls, eapTtls, peap; others are refused).
    wifi_eap: str = "eapTls"

    def bind(self, *ids: str) -> list[str]:
        return [f"{self.graph_base}/deviceManagement/deviceConfigurations/{i}" for i in ids]


def trusted_root(family: str, name: str, cert: x509.Certificate) -> Body:
    """A trusted-root profile of the family (`family` is a `Family` or its value)."""
    kind = FAMILIES[Family(family)]
    return {
        "@odata.type": GRAPH + kind.root_type,
        "displayName": name,
        "trustedRootCertificate": base64.b64encode(cert.public_bytes(Encoding.DER)).decode(),
        "certFileName": name.lower().replace(" ", "-") + ".cer",
    } | kind.root_fields


def _wifi(roots: Roots, graph_type: str, platform_label: str) -> Body:
    """What every family's enterprise Wi-Fi profile shares: the SSID, EAP with the derived
    credential, the RADIUS server's name and root."""
    return {
        "@odata.type": GRAPH + graph_type,
        "displayName": f"Corp Wi-Fi (derived credential{platform_label})",
        "ssid": "CORP-SECURE",
        "networkName": "CORP-SECURE",
        "connectAutomatically": True,
        "eapType": roots.wifi_eap,
        "authenticationMethod": "derivedCredential",
        "trustedServerCertificateNames": RADIUS_NAMES,
        "rootCertificatesForServerValidation@odata.bind": roots.bind(roots.radius),
    }


def ios_wifi(roots: Roots) -> Body:
    return _wifi(roots, "iosEnterpriseWiFiConfiguration", "") | {
        "wiFiSecurityType": "wpa2Enterprise"
    }


def ios_vpn(roots: Roots) -> Body:
    return {
        "@odata.type": GRAPH + "iosVpnConfiguration",
        "displayName": "Corp VPN (IKEv2, derived credential)",
        "connectionName": "Corp VPN",
        "connectionType": "ikEv2",
        "authenticationMethod": "derivedCredential",
        "server": VPN_SERVER,
    }


def ios_email(roots: Roots) -> Body:
    return {
        "@odata.type": GRAPH + "iosEasEmailProfileConfiguration",
        "displayName": "Corp mail (Exchange, S/MIME with the derived credential)",
        "hostName": "mail.corp.example",
        "accountName": "Corp mail",
        "emailAddressSource": "userPrincipalName",
        "authenticationMethod": "derivedCredential",
        "requireSsl": True,
        "smimeSigningEnabled": True,
        "smimeEncryptByDefaultEnabled": True,
        "signingCertificateType": "derivedCredential",
        "encryptionCertificateType": "derivedCredential",
        "smimeEncryptionCertificateUserOverrideEnabled": False,
        "durationOfEmailToSync": "oneWeek",
        "easServices": "email,calendars",
    }


def ios_app_auth(roots: Roots) -> Body:
    return {
        "@odata.type": GRAPH + "iosDerivedCredentialAuthenticationConfiguration",
        "displayName": "App authentication (derived credential)",
    }


def android_wifi(roots: Roots) -> Body:
    return _wifi(roots, "androidDeviceOwnerEnterpriseWiFiConfiguration", ", Android") | {
        "wiFiSecurityType": "wpaEnterprise"
    }


def android_app_auth(roots: Roots) -> Body:
    return {
        "@odata.type": GRAPH + "androidDeviceOwnerDerivedCredentialAuthenticationConfiguration",
        "displayName": "App authentication (derived credential, Android)",
        "certificateAccessType": "specificApps",
        "silentCertificateAccessDetails": [
            {
                "@odata.type": "microsoft.graph.androidDeviceOwnerSilentCertificateAccess",
                "packageId": FIELD_APP,
            }
        ],
    }


def windows_wifi(roots: Roots) -> Body:
    return _wifi(roots, "windowsWifiEnterpriseEAPConfiguration", ", Windows") | {
        "wifiSecurityType": "wpa2Enterprise",
        "authenticationType": "user",
        "networkSingleSignOn": "disabled",
        "performServerValidation": True,
        "rootCertificateForClientValidation@odata.bind": roots.bind(roots.derived),
    }


def windows_vpn(roots: Roots) -> Body:
    return {
        "@odata.type": GRAPH + "windows10VpnConfiguration",
        "displayName": "Corp VPN (IKEv2, derived credential, Windows)",
        "connectionName": "Corp VPN",
        "connectionType": "ikEv2",
        "profileTarget": "user",
        "authenticationMethod": "derivedCredential",
        "servers": [VPN_SERVER],
    }


@dataclass(frozen=True)
class FamilyProfiles:
    """What the lab's administrator deploys to one platform family."""

    #: Graph type of the family's trusted-root profile (without `#microsoft.graph.`).
    root_type: str
    #: The profiles that use the derived credential, by the key the lab reports them as.
    plan: tuple[tuple[str, Builder], ...]
    #: The managed app that signs in to the relying party ("" when the family has none).
    rp_app: str = ""
    #: Fields the family's trusted-root profile adds (e.g. Windows' destination store).
    root_fields: Body = field(default_factory=dict)


FAMILIES: dict[Family, FamilyProfiles] = {
    Family.IOS: FamilyProfiles(
        "iosTrustedRootCertificate",
        (("wifi", ios_wifi), ("vpn", ios_vpn), ("email", ios_email), ("app-auth", ios_app_auth)),
        rp_app=FIELD_APP,
    ),
    Family.ANDROID: FamilyProfiles(
        "androidDeviceOwnerTrustedRootCertificate",
        (("wifi", android_wifi), ("app-auth", android_app_auth)),
        rp_app=FIELD_APP,
    ),
    Family.WINDOWS: FamilyProfiles(
        "windows81TrustedRootCertificate",
        (("wifi", windows_wifi), ("vpn", windows_vpn)),
        root_fields={"destinationStore": "computerCertStoreRoot"},
    ),
}

# Views of `FAMILIES` keyed by family (a `Family` is its value: `PLAN["ios"]` works too).
#: The profiles that use the derived credential, per family, by the key the lab reports them as.
PLAN: dict[str, list[tuple[str, Builder]]] = {f: list(p.plan) for f, p in FAMILIES.items()}
#: Graph type of each family's trusted-root profile.
ROOT_TYPE: dict[str, str] = {f: p.root_type for f, p in FAMILIES.items()}
#: The package / bundle id of the managed app that signs in to the relying party, per family.
RP_APP: dict[str, str] = {f: p.rp_app for f, p in FAMILIES.items()}
