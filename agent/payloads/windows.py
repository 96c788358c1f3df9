"""Windows 10/11 profiles: trusted certificates, enterprise Wi-Fi (WLAN profile XML) and VPN
(VPNv2 `ProfileXML`), with the derived credential selected from the certificate store.

- `windows81TrustedRootCertificate` → the certificate in `LocalMachine\\Root` (or the
  `destinationStore` CA store); the artifact is a JSON summary with the SHA-1 thumbprint.
- `windowsWifiEnterpriseEAPConfiguration` → a WLAN profile
  (`http://www.microsoft.com/networking/WLAN/profile/v1`) whose OneX `EapHostConfig` picks the
  derived credential (see `windows_eap`): `TrustedRootCA` lists the roots deployed for server
  validation, `CAHashList/IssuerHash` the root of the derived credential's chain (the
  `rootCertificateForClientValidation` profile when one is bound).
- `windows10VpnConfiguration` → `VPNProfile/NativeProfile` (IKEv2 etc.) with
  `Authentication/UserMethod` `Eap` and the same EAP-TLS configuration. Derived credentials for
  Windows VPN are documented as not working: known issue `windows-vpn-derived-credential`, on by
  default (`ProfileContext.known_issues`), makes such a profile fail with that name.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from trust_store.stores import Identity
from trust_store.stores.windows_store import StoreLocation, StoreName, WindowsCertStore, store_path

from ..errors import ProfileError
from ..platforms import Family
from . import certinfo
from .base import (
    DERIVED_CREDENTIAL_EAP_TYPES,
    Artifact,
    ProfileContext,
    Renderer,
    require_field,
    root_certificate,
)
from .known_issues import WINDOWS_VPN_DERIVED_CREDENTIAL
from .windows_eap import (
    EAP_TYPE_NUMBERS,
    NS_ONEX,
    NS_WLAN,
    NS_WLAN_V2,
    Node,
    TlsClient,
    eap_host_config,
    flag,
)

DERIVED = "derivedCredential"
JSON = "application/json"
XML = "application/xml"

# --- trusted certificates ---------------------------------------------------------------------------

#: Graph `certificateDestinationStore` → (location, store).
DESTINATIONS = {
    "computerCertStoreRoot": (StoreLocation.LOCAL_MACHINE, StoreName.ROOT),
    "computerCertStoreIntermediate": (StoreLocation.LOCAL_MACHINE, StoreName.CA),
    "userCertStoreIntermediate": (StoreLocation.CURRENT_USER, StoreName.CA),
}


def _install(ctx: ProfileContext, cert: x509.Certificate, source: str, dest: str) -> str:
    """Put the certificate where `dest` says; what happened, for the summary."""
    location, name = DESTINATIONS[dest]
    store = ctx.store
    if isinstance(store, WindowsCertStore):
        if name is StoreName.ROOT:
            store.add_trusted_root(cert, source, location)
        else:
            store.add_intermediate(cert, source, location)
        return store_path(location, name)
    if name is StoreName.ROOT:
        store.add_trusted_root(cert, source)
        return store_path(location, name)
    return f"{store_path(location, name)} (not modelled by a {type(store).__name__}: not trusted)"


class WindowsRenderer(Renderer):
    """Base of the Windows renderers."""

    family = Family.WINDOWS


class WindowsTrustedRoot(WindowsRenderer):
    odata_type = "microsoft.graph.windows81TrustedRootCertificate"

    def apply(self, policy: dict[str, Any], ctx: ProfileContext) -> Artifact:
        cert = root_certificate(policy)
        dest = str(policy.get("destinationStore") or "computerCertStoreRoot")
        if dest not in DESTINATIONS:
            raise ProfileError(
                f"profile {policy['id']}: unknown destinationStore {dest!r}; "
                f"expected one of {', '.join(DESTINATIONS)}"
            )
        where = _install(ctx, cert, f"profile:{policy['id']}", dest)
        thumb = certinfo.sha1_hex(cert)
        ctx.remember_root(policy["id"], cert, thumb)
        doc = {
            "policyId": policy["id"],
            "store": where,
            "thumbprint": thumb,
            "subject": cert.subject.rfc4514_string(),
            "certFileName": str(policy.get("certFileName") or "root.cer"),
            "certificate": base64.b64encode(cert.public_bytes(Encoding.DER)).decode(),
        }
        return Artifact(
            policy["id"],
            "trusted-root",
            f"{policy['id']}.json",
            JSON,
            json.dumps(doc, indent=2).encode(),
            f"{where}: {cert.subject.rfc4514_string()} ({thumb})",
        )


# --- what selects the derived credential ------------------------------------------------------------


def _installed_roots(
    policy: dict[str, Any], ctx: ProfileContext, field: str
) -> list[x509.Certificate]:
    out = []
    for root_id in policy.get(field) or []:
        cert = ctx.root_certs.get(root_id)
        if cert is None:
            raise ProfileError(
                f"profile {policy['id']}: trusted-root profile {root_id} ({field}) is not installed"
            )
        out.append(cert)
    return out


def issuer_hashes(
    policy: dict[str, Any], ctx: ProfileContext, identity: Identity
) -> tuple[str, ...]:
    """`CAHashList` entries that let Windows pick the derived credential: the bound
    client-validation root (which the credential must chain to), else the credential's root."""
    roots = ctx.store.trusted_roots()
    bound = _installed_roots(policy, ctx, "rootCertificateForClientValidation")
    for ca in bound:
        if not certinfo.in_chain(identity, ca, roots):
            raise ProfileError(
                f"profile {policy['id']}: the derived credential ({identity.ref}) does not chain "
                f"to the client-validation root {ca.subject.rfc4514_string()}; Windows would "
                "find no certificate to present"
            )
    if not bound:
        anchor = certinfo.chain_root(identity, roots) or (
            identity.chain[0] if identity.chain else None
        )
        if anchor is None:
            raise ProfileError(
                f"profile {policy['id']}: the derived credential ({identity.ref}) carries no CA "
                "certificate and no trusted root issued it; deploy its root first"
            )
        bound = [anchor]
    return tuple(certinfo.sha1_spaced(c) for c in bound)


def _derived_tls(
    policy: dict[str, Any],
    ctx: ProfileContext,
    server_roots: list[x509.Certificate],
    names: list[str],
) -> tuple[Identity, TlsClient]:
    identity = ctx.derived_identity()
    tls = TlsClient(
        issuer_hashes=issuer_hashes(policy, ctx, identity),
        server_names=tuple(names),
        server_roots=tuple(certinfo.sha1_spaced(c) for c in server_roots),
        validate_server=policy.get("performServerValidation") is not False,
        disable_prompt=bool(policy.get("disableUserPromptForServerValidation", False)),
    )
    return identity, tls


# --- Wi-Fi ------------------------------------------------------------------------------------------

#: Graph `wifiSecurityType` → WLAN (authentication, encryption) for 802.1X networks.
SECURITY = {"wpa2Enterprise": ("WPA2", "AES"), "wpaEnterprise": ("WPA", "AES")}
#: Graph `wifiAuthenticationType` → OneX `authMode` (none: the derived credential is the user's).
AUTH_MODES = {
    "none": "user",
    "user": "user",
    "machine": "machine",
    "machineOrUser": "machineOrUser",
    "guest": "guest",
}


class WindowsEnterpriseWiFi(WindowsRenderer):
    odata_type = "microsoft.graph.windowsWifiEnterpriseEAPConfiguration"

    def apply(self, policy: dict[str, Any], ctx: ProfileContext) -> Artifact:
        pid = policy["id"]
        ssid = require_field(policy, "ssid", str)
        eap = require_field(policy, "eapType", str)
        if eap not in EAP_TYPE_NUMBERS:
            raise ProfileError(f"profile {pid}: unknown EAP type {eap!r}")
        security = str(policy.get("wifiSecurityType") or "wpa2Enterprise")
        if security not in SECURITY:
            raise ProfileError(
                f"profile {pid}: an EAP network needs wifiSecurityType "
                f"{' or '.join(SECURITY)}, not {security!r}"
            )
        if policy.get("authenticationMethod") != DERIVED:
            raise ProfileError(
                f"profile {pid}: authenticationMethod {policy.get('authenticationMethod')!r} is "
                "not emulated on Windows; the agent renders derivedCredential"
            )
        if eap not in DERIVED_CREDENTIAL_EAP_TYPES:
            raise ProfileError(
                f"profile {pid}: a derived credential can only be used with EAP-TLS, "
                f"EAP-TTLS or PEAP, not {eap}"
            )
        names = [str(n) for n in policy.get("trustedServerCertificateNames") or []]
        server_roots = _installed_roots(policy, ctx, "rootCertificatesForServerValidation")
        identity, tls = _derived_tls(policy, ctx, server_roots, names)
        anonymous = policy.get("outerIdentityPrivacyTemporaryValue")
        eap_config = eap_host_config(eap, tls, str(anonymous) if anonymous else None)

        auth, enc = SECURITY[security]
        root = Node("WLANProfile", NS_WLAN)
        root.add("name", str(policy.get("networkName") or ssid))
        ssid_config = root.add("SSIDConfig")
        s = ssid_config.add("SSID")
        s.add("hex", ssid.encode().hex().upper())
        s.add("name", ssid)
        ssid_config.add("nonBroadcast", flag(bool(policy.get("connectWhenNetworkNameIsHidden"))))
        root.add("connectionType", "ESS")
        root.add("connectionMode", "auto" if policy.get("connectAutomatically", True) else "manual")
        root.add("autoSwitch", flag(bool(policy.get("connectToPreferredNetwork"))))
        sec = root.add("MSM").add("security")
        ae = sec.add("authEncryption")
        ae.add("authentication", auth)
        ae.add("encryption", enc)
        ae.add("useOneX", "true")
        if policy.get("forceFIPSCompliance"):
            ae.add("FIPSMode", "true", ns=NS_WLAN_V2)
        caching = policy.get("enablePairwiseMasterKeyCaching")
        if isinstance(caching, bool):
            sec.add("PMKCacheMode", "enabled" if caching else "disabled")
        onex = sec.add("OneX", ns=NS_ONEX)
        onex.add("cacheUserData", flag(policy.get("cacheCredentials") is not False))
        onex.add("authMode", AUTH_MODES.get(str(policy.get("authenticationType")), "user"))
        onex.add("EAPConfig").append(eap_config)
        return Artifact(
            pid,
            "wifi",
            f"{pid}.xml",
            XML,
            root.document(),
            f"Wi-Fi {ssid!r} {eap} with derived credential {identity.ref}",
        )


# --- VPN --------------------------------------------------------------------------------------------

#: Graph `windows10VpnConnectionType` → VPNv2 `NativeProtocolType` (the others are plug-in
#: profiles of vendor apps, which the agent does not emulate).
NATIVE_PROTOCOLS = {"ikEv2": "IKEv2", "l2tp": "L2tp", "pptp": "Pptp", "automatic": "Automatic"}
DEVICE_TARGETS = frozenset({"device", "autoPilotDevice"})


def _vpn_derived(
    policy: dict[str, Any], ctx: ProfileContext, auth: Node, servers: list[str]
) -> str:
    if policy.get("profileTarget") in DEVICE_TARGETS:
        raise ProfileError(
            f"profile {policy['id']}: a device tunnel authenticates with a machine certificate; "
            "the derived credential belongs to the user (profileTarget user)"
        )
    roots = list(ctx.root_certs.values())
    identity, tls = _derived_tls(policy, ctx, roots, servers)
    auth.add("UserMethod", "Eap")
    auth.add("Eap").add("Configuration").append(eap_host_config("eapTls", tls))
    return f"with derived credential {identity.ref}"


def _vpn_password(
    policy: dict[str, Any], ctx: ProfileContext, auth: Node, servers: list[str]
) -> str:
    auth.add("UserMethod", "Mschapv2")
    return "with user name and password (MSCHAPv2)"


#: Graph `windows10VpnAuthenticationMethod` → how `NativeProfile/Authentication` is written.
VPN_AUTH: dict[str, Callable[[dict[str, Any], ProfileContext, Node, list[str]], str]] = {
    DERIVED: _vpn_derived,
    "usernameAndPassword": _vpn_password,
}


class WindowsVpn(WindowsRenderer):
    odata_type = "microsoft.graph.windows10VpnConfiguration"

    def apply(self, policy: dict[str, Any], ctx: ProfileContext) -> Artifact:
        pid = policy["id"]
        method = str(policy.get("authenticationMethod") or "certificate")
        if method == DERIVED and WINDOWS_VPN_DERIVED_CREDENTIAL.name in ctx.known_issues:
            WINDOWS_VPN_DERIVED_CREDENTIAL.raise_for(pid)
        name = require_field(policy, "connectionName", str)
        ctype = str(policy.get("connectionType") or "ikEv2")
        protocol = NATIVE_PROTOCOLS.get(ctype)
        if protocol is None:
            raise ProfileError(
                f"profile {pid}: connectionType {ctype!r} is a vendor plug-in profile, not "
                f"emulated; the agent renders {', '.join(NATIVE_PROTOCOLS)}"
            )
        servers = self._servers(policy)
        write_auth = VPN_AUTH.get(method)
        if write_auth is None:
            raise ProfileError(
                f"profile {pid}: authenticationMethod {method!r} is not emulated; the agent "
                f"renders {', '.join(VPN_AUTH)}"
            )
        profile = Node("VPNProfile")
        native = profile.add("NativeProfile")
        native.add("Servers", ",".join(servers))
        native.add("NativeProtocolType", protocol)
        how = write_auth(
            policy, ctx, native.add("Authentication"), [s.split(";")[0] for s in servers]
        )
        native.add(
            "RoutingPolicyType",
            "SplitTunnel" if policy.get("enableSplitTunneling") else "ForceTunnel",
        )
        profile.add("RememberCredentials", flag(bool(policy.get("rememberUserCredentials"))))
        profile.add("AlwaysOn", flag(bool(policy.get("enableAlwaysOn"))))
        profile.add("DeviceTunnel", flag(bool(policy.get("enableDeviceTunnel"))))
        profile.add("RegisterDNS", flag(bool(policy.get("enableDnsRegistration"))))
        if policy.get("dnsSuffixes"):
            profile.add("DnsSuffix", ",".join(str(d) for d in policy["dnsSuffixes"]))
        if policy.get("trustedNetworkDomains"):
            profile.add(
                "TrustedNetworkDetection", ",".join(str(d) for d in policy["trustedNetworkDomains"])
            )
        return Artifact(
            pid,
            "vpn",
            f"{pid}.xml",
            XML,
            profile.document(),
            f"VPNv2 {name!r} ({protocol} to {servers[0].split(';')[0]}) {how}",
        )

    @staticmethod
    def _servers(policy: dict[str, Any]) -> list[str]:
        """`Servers` entries, the default server first: `address` or `address;description`."""
        raw = [s for s in policy.get("servers") or [] if isinstance(s, dict) and s.get("address")]
        if not raw:
            raise ProfileError(f"profile {policy['id']}: the VPN profile lists no server address")
        raw.sort(key=lambda s: not s.get("isDefaultServer"))
        return [
            f"{s['address']};{s['description']}" if s.get("description") else str(s["address"])
            for s in raw
        ]
