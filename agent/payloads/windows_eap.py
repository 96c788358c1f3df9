"""Windows EAP configuration XML (EapHost) that selects the derived credential, shared by the WLAN
profile and the VPNv2 ProfileXML.

Element names and namespaces follow Microsoft's published schemas: EapHostConfig, EapCommon,
BaseEapConnectionPropertiesV1, EapTlsConnectionPropertiesV1/V2/V3 (MS-GPWL 6.8, "EapTlsConnection
PropertiesV3 Schema" for certificate filtering), MsPeapConnectionPropertiesV1 and
EapTtlsConnectionPropertiesV1 (MS-GPWL 2.2.3.2). The client certificate comes from the Windows
certificate store (`CredentialsSource/CertificateStore`) and is narrowed to the derived
credential by the hash of a CA in its chain (`FilteringInfo/CAHashList/IssuerHash`) and the
client-authentication EKU.

Each element is written with a default `xmlns` where its namespace changes, as Windows exports
them, by a tiny serializer (`Node`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from .base import EAP_METHOD_TYPES

NS_WLAN = "http://www.microsoft.com/networking/WLAN/profile/v1"
NS_WLAN_V2 = "http://www.microsoft.com/networking/WLAN/profile/v2"
NS_ONEX = "http://www.microsoft.com/networking/OneX/v1"
NS_EAPHOST = "http://www.microsoft.com/provisioning/EapHostConfig"
NS_EAPCOMMON = "http://www.microsoft.com/provisioning/EapCommon"
NS_BASEEAP = "http://www.microsoft.com/provisioning/BaseEapConnectionPropertiesV1"
NS_TLS1 = "http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV1"
NS_TLS2 = "http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV2"
NS_TLS3 = "http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV3"
NS_PEAP = "http://www.microsoft.com/provisioning/MsPeapConnectionPropertiesV1"
NS_TTLS = "http://www.microsoft.com/provisioning/EapTtlsConnectionPropertiesV1"

#: Graph `eapType` → IANA EAP method type (the `Type` Windows writes).
EAP_TYPE_NUMBERS = EAP_METHOD_TYPES
#: EapHost `AuthorId` of Microsoft's own method implementations: 0 for EAP-TLS and PEAP,
#: 311 (Microsoft's IANA enterprise number) for EAP-TTLS.
AUTHOR_IDS = {13: 0, 25: 0, 21: 311}
CLIENT_AUTH_EKU = ("Client Authentication", "1.3.6.1.5.5.7.3.2")


def flag(value: bool) -> str:
    return "true" if value else "false"


@dataclass
class Node:
    """One XML element; `ns` is its namespace URI."""

    tag: str
    ns: str | None = None
    text: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)

    def add(
        self, tag: str, text: str | None = None, *, ns: str | None = None, **attrs: str
    ) -> Node:
        child = Node(tag, ns or self.ns, text, dict(attrs))
        self.children.append(child)
        return child

    def append(self, node: Node) -> Node:
        self.children.append(node)
        return node

    def render(self, parent_ns: str | None = None, depth: int = 0) -> str:
        pad = "  " * depth
        attrs = dict(self.attrs)
        if self.ns != parent_ns and self.ns is not None:
            attrs = {"xmlns": self.ns, **attrs}
        head = self.tag + "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
        if not self.children:
            if self.text is None:
                return f"{pad}<{head}/>"
            return f"{pad}<{head}>{escape(self.text)}</{self.tag}>"
        inner = "\n".join(c.render(self.ns, depth + 1) for c in self.children)
        return f"{pad}<{head}>\n{inner}\n{pad}</{self.tag}>"

    def document(self) -> bytes:
        return ('<?xml version="1.0" encoding="UTF-8"?>\n' + self.render() + "\n").encode()


@dataclass(frozen=True)
class TlsClient:
    """What the EAP-TLS method needs to present the derived credential and check the server."""

    #: Spaced SHA-1 thumbprints of CAs the client certificate must chain to (`CAHashList`).
    issuer_hashes: tuple[str, ...]
    #: Server names (`ServerNames`, joined with ';').
    server_names: tuple[str, ...] = ()
    #: Spaced SHA-1 thumbprints of roots trusted for the server (`TrustedRootCA`).
    server_roots: tuple[str, ...] = ()
    validate_server: bool = True
    disable_prompt: bool = False


def _method(eap_type: int) -> Node:
    m = Node("EapMethod", NS_EAPHOST)
    m.add("Type", str(eap_type), ns=NS_EAPCOMMON)
    m.add("VendorId", "0", ns=NS_EAPCOMMON)
    m.add("VendorType", "0", ns=NS_EAPCOMMON)
    m.add("AuthorId", str(AUTHOR_IDS.get(eap_type, 0)), ns=NS_EAPCOMMON)
    return m


def _server_validation(parent: Node, tls: TlsClient) -> None:
    sv = parent.add("ServerValidation")
    sv.add("DisableUserPromptForServerValidation", flag(tls.disable_prompt))
    sv.add("ServerNames", ";".join(tls.server_names))
    for root in tls.server_roots:
        sv.add("TrustedRootCA", root)


def tls_eap(tls: TlsClient) -> Node:
    """`baseEap:Eap` with Type 13 and the EAP-TLS `EapType` selecting the derived credential."""
    eap = Node("Eap", NS_BASEEAP)
    eap.add("Type", "13")
    et = eap.add("EapType", ns=NS_TLS1)
    et.add("CredentialsSource").add("CertificateStore").add("SimpleCertSelection", "true")
    _server_validation(et, tls)
    et.add("DifferentUsername", "false")
    et.add("PerformServerValidation", flag(tls.validate_server), ns=NS_TLS2)
    et.add("AcceptServerName", flag(bool(tls.server_names)), ns=NS_TLS2)
    fi = et.add("TLSExtensions", ns=NS_TLS2).add("FilteringInfo", ns=NS_TLS3)
    fi.add("AllPurposeEnabled", "false")
    hashes = fi.add("CAHashList", Enabled="true")
    for h in tls.issuer_hashes:
        hashes.add("IssuerHash", h)
    name, oid = CLIENT_AUTH_EKU
    ekus = fi.add("EKUMapping").add("EKUMap")
    ekus.add("EKUName", name)
    ekus.add("EKUOID", oid)
    fi.add("ClientAuthEKUList", Enabled="true").add("EKUMapInList").add("EKUName", name)
    return eap


def _peap(tls: TlsClient) -> Node:
    """PEAP (Type 25) whose inner method is EAP-TLS with the derived credential (PEAP-TLS)."""
    eap = Node("Eap", NS_BASEEAP)
    eap.add("Type", "25")
    et = eap.add("EapType", ns=NS_PEAP)
    _server_validation(et, tls)
    et.add("FastReconnect", "true")
    et.add("InnerEapOptional", "false")
    et.append(tls_eap(tls))
    et.add("EnableQuarantineChecks", "false")
    et.add("RequireCryptoBinding", "false")
    return eap


def _ttls(tls: TlsClient, anonymous: str | None) -> Node:
    """EAP-TTLS (Type 21) whose phase-2 method is EAP-TLS with the derived credential."""
    ttls = Node("EapTtls", NS_TTLS)
    sv = ttls.add("ServerValidation")
    sv.add("ServerNames", ";".join(tls.server_names))
    for root in tls.server_roots:
        sv.add("TrustedRootCAHash", root)
    sv.add("DisablePrompt", flag(tls.disable_prompt))
    ttls.add("Phase2Authentication").append(tls_eap(tls))
    p1 = ttls.add("Phase1Identity")
    p1.add("IdentityPrivacy", flag(anonymous is not None))
    if anonymous is not None:
        p1.add("AnonymousIdentity", anonymous)
    return ttls


#: Graph `eapType` → the `Config` content selecting the derived credential.
CONFIG_BUILDERS: dict[str, Callable[[TlsClient, str | None], Node]] = {
    "eapTls": lambda tls, _anonymous: tls_eap(tls),
    "peap": lambda tls, _anonymous: _peap(tls),
    "eapTtls": _ttls,
}


def eap_host_config(eap_type: str, tls: TlsClient, anonymous: str | None = None) -> Node:
    """`EapHostConfig` for a derived-credential EAP method (a key of `CONFIG_BUILDERS`)."""
    build = CONFIG_BUILDERS.get(eap_type)
    if build is None:
        raise ValueError(f"no derived-credential EAP configuration for {eap_type}")
    root = Node("EapHostConfig", NS_EAPHOST)
    root.append(_method(EAP_TYPE_NUMBERS[eap_type]))
    root.add("Config").append(build(tls, anonymous))
    return root
