"""Apple configuration profiles (`.mobileconfig` XML plists) for iOS/iPadOS.

Key names and types follow Apple's published schemas (github.com/apple/device-management,
mdm/profiles). The Wi-Fi payload's `PayloadCertificateUUID` names the derived-credential identity
by its keychain reference, the way a profile names an identity payload;
`PayloadCertificateAnchorUUID`
names the trusted-root payloads it trusts for the RADIUS server.
"""

from __future__ import annotations

import plistlib
import uuid
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from ..errors import ProfileError
from ..platforms import Family
from .base import (
    DERIVED_CREDENTIAL_EAP_TYPES,
    EAP_METHOD_TYPES,
    Artifact,
    ProfileContext,
    Renderer,
    require_field,
    root_certificate,
)

MOBILECONFIG = "application/x-apple-aspen-config"
IDENTIFIER_PREFIX = "com.microsoft.intune.dcemu"

#: Graph `eapType` → Apple `AcceptEAPTypes` value (the IANA type; no TEAP for iOS).
EAP_TYPE_NUMBERS = {k: v for k, v in EAP_METHOD_TYPES.items() if k != "teap"}


def _payload_uuid(policy_id: str, kind: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"dcemu:{policy_id}:{kind}")).upper()


def payload_header(
    policy_id: str, kind: str, payload_type: str, display_name: str
) -> dict[str, Any]:
    """The keys every payload of a profile starts with; `kind` makes its identifier and UUID
    unique within the policy."""
    return {
        "PayloadType": payload_type,
        "PayloadVersion": 1,
        "PayloadIdentifier": f"{IDENTIFIER_PREFIX}.{policy_id}.{kind}",
        "PayloadUUID": _payload_uuid(policy_id, kind),
        "PayloadDisplayName": display_name,
    }


def mobileconfig(policy: dict[str, Any], payloads: list[dict[str, Any]]) -> bytes:
    top = {
        "PayloadContent": payloads,
        "PayloadDisplayName": str(policy.get("displayName") or policy["id"]),
        "PayloadIdentifier": f"{IDENTIFIER_PREFIX}.{policy['id']}",
        "PayloadType": "Configuration",
        "PayloadUUID": _payload_uuid(policy["id"], "profile"),
        "PayloadVersion": 1,
        "PayloadRemovalDisallowed": True,
    }
    return plistlib.dumps(top, fmt=plistlib.FMT_XML)


class AppleRenderer(Renderer):
    """Base of the iOS/iPadOS renderers (this module and `apple_vpn_mail`)."""

    family = Family.IOS


class IOSTrustedRoot(AppleRenderer):
    odata_type = "microsoft.graph.iosTrustedRootCertificate"

    def apply(self, policy: dict[str, Any], ctx: ProfileContext) -> Artifact:
        cert = root_certificate(policy)
        ctx.store.add_trusted_root(cert, source=f"profile:{policy['id']}")
        payload = payload_header(
            policy["id"],
            "root",
            "com.apple.security.root",
            str(policy.get("displayName") or "Trusted root"),
        )
        ctx.remember_root(policy["id"], cert, payload["PayloadUUID"])
        payload |= {
            "PayloadCertificateFileName": str(policy.get("certFileName") or "root.cer"),
            "PayloadContent": cert.public_bytes(Encoding.DER),
        }
        return Artifact(
            policy["id"],
            "trusted-root",
            f"{policy['id']}.mobileconfig",
            MOBILECONFIG,
            mobileconfig(policy, [payload]),
            f"trusted root {cert.subject.rfc4514_string()}",
        )


class IOSEnterpriseWiFi(AppleRenderer):
    odata_type = "microsoft.graph.iosEnterpriseWiFiConfiguration"

    def apply(self, policy: dict[str, Any], ctx: ProfileContext) -> Artifact:
        ssid = require_field(policy, "ssid", str)
        eap = require_field(policy, "eapType", str)
        if eap not in EAP_TYPE_NUMBERS:
            raise ProfileError(f"profile {policy['id']}: unknown EAP type {eap!r}")
        eap_config: dict[str, Any] = {"AcceptEAPTypes": [EAP_TYPE_NUMBERS[eap]]}
        payload = payload_header(
            policy["id"], "wifi", "com.apple.wifi.managed", str(policy.get("networkName") or ssid)
        ) | {
            "SSID_STR": ssid,
            "HIDDEN_NETWORK": bool(policy.get("connectWhenNetworkNameIsHidden", False)),
            "AutoJoin": bool(policy.get("connectAutomatically", True)),
            "EncryptionType": "WPA2",
            "EAPClientConfiguration": eap_config,
        }
        summary = f"Wi-Fi {ssid!r} {eap}"
        if self.uses_derived_credential(policy):
            if eap not in DERIVED_CREDENTIAL_EAP_TYPES:
                raise ProfileError(
                    f"profile {policy['id']}: a derived credential can only be used with EAP-TLS, "
                    f"EAP-TTLS or PEAP, not {eap}"
                )
            identity = ctx.derived_identity()
            payload["PayloadCertificateUUID"] = identity.ref
            summary += f" with derived credential {identity.cert.subject.rfc4514_string()}"
        names = policy.get("trustedServerCertificateNames") or []
        if names:
            eap_config["TLSTrustedServerNames"] = [str(n) for n in names]
        anchors = []
        for root_id in policy.get("rootCertificatesForServerValidation") or []:
            if root_id not in ctx.root_payload_uuids:
                raise ProfileError(
                    f"profile {policy['id']}: trusted-root profile {root_id} for server validation "
                    "is not installed"
                )
            anchors.append(ctx.root_payload_uuids[root_id])
        if anchors:
            eap_config["PayloadCertificateAnchorUUID"] = anchors
        return Artifact(
            policy["id"],
            "wifi",
            f"{policy['id']}.mobileconfig",
            MOBILECONFIG,
            mobileconfig(policy, [payload]),
            summary,
        )
