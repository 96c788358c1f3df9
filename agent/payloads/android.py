"""Android Enterprise (fully managed and corporate-owned work profile) profiles, rendered the way
the Android Management API expresses them.

- `androidDeviceOwnerTrustedRootCertificate` → a CA certificate installed in the work profile
  (`DevicePolicyManager.installCaCert`); the artifact is the ONC-style `Authority` entry.
- `androidDeviceOwnerEnterpriseWiFiConfiguration` → an `openNetworkConfiguration` (Open Network
  Configuration, as the Android Management API policy field takes it): `WiFi.EAP` selects the
  derived credential by KeyChain alias (`ClientCertType` `KeyPairAlias`,
  `ClientCertKeyPairAlias`) and trusts the deployed roots through `ServerCARefs`.
- `androidDeviceOwnerDerivedCredentialAuthenticationConfiguration` → a JSON record of the alias
  and the certificate access mode, and the access is *applied* to the store when it supports it.

Applying certificate access is feature-detected, never required: a store may offer
`set_certificate_access(mode, silent_apps)` (the emulated `AndroidKeyChain` does: `mode` is
`userApproval` or `specificApps`, `silent_apps` the package ids granted silently) or, failing
that, `grant_silently(package_id, alias)` per listed package. A store with neither gets the
artifact only, and the artifact says the grants were not applied.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

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

JSON = "application/json"
DERIVED = "derivedCredential"

#: Graph `eapType` → ONC `EAP.Outer`. Graph's `androidEapType` has only the first three; the
#: others are kept so a profile of another platform's vocabulary gets a clear refusal.
ONC_OUTER = {
    "eapTls": "EAP-TLS",
    "eapTtls": "EAP-TTLS",
    "peap": "PEAP",
    "leap": "LEAP",
    "eapSim": "EAP-SIM",
    "eapFast": "EAP-FAST",
}
#: Graph inner methods → ONC `EAP.Inner`. The Android Management API accepts only `MSCHAPv2`
#: and `PAP`; Graph's `none` leaves the choice to the device (`Automatic`).
ONC_INNER = {
    "innerAuthenticationProtocolForEapTtls": {
        "unencryptedPassword": "PAP",
        "microsoftChapVersionTwo": "MSCHAPv2",
    },
    "innerAuthenticationProtocolForPeap": {
        "none": "Automatic",
        "microsoftChapVersionTwo": "MSCHAPv2",
    },
}
INNER_FIELD = {
    "eapTtls": "innerAuthenticationProtocolForEapTtls",
    "peap": "innerAuthenticationProtocolForPeap",
}
#: Graph `macAddressRandomizationMode` → ONC `WiFi.MACAddressRandomizationMode`.
MAC_MODES = {"automatic": "Automatic", "hardware": "Hardware"}


def guid(policy_id: str, kind: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"dcemu:{policy_id}:{kind}"))


def _b64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(Encoding.DER)).decode()


def _artifact(policy: dict[str, Any], kind: str, doc: dict[str, Any], summary: str) -> Artifact:
    return Artifact(
        policy["id"],
        kind,
        f"{policy['id']}.json",
        JSON,
        json.dumps(doc, indent=2).encode(),
        summary,
    )


class AndroidRenderer(Renderer):
    """Base of the Android Enterprise renderers (both modes are `Family.ANDROID`)."""

    family = Family.ANDROID


class AndroidTrustedRoot(AndroidRenderer):
    odata_type = "microsoft.graph.androidDeviceOwnerTrustedRootCertificate"

    def apply(self, policy: dict[str, Any], ctx: ProfileContext) -> Artifact:
        cert = root_certificate(policy)
        ctx.store.add_trusted_root(cert, source=f"profile:{policy['id']}")
        ref = guid(policy["id"], "root")
        ctx.remember_root(policy["id"], cert, ref)
        doc = {
            "policyId": policy["id"],
            "certFileName": str(policy.get("certFileName") or "root.cer"),
            "caCertificate": {"GUID": ref, "Type": "Authority", "X509": _b64(cert)},
        }
        return _artifact(
            policy, "trusted-root", doc, f"CA certificate {cert.subject.rfc4514_string()}"
        )


class AndroidEnterpriseWiFi(AndroidRenderer):
    odata_type = "microsoft.graph.androidDeviceOwnerEnterpriseWiFiConfiguration"

    def apply(self, policy: dict[str, Any], ctx: ProfileContext) -> Artifact:
        pid = policy["id"]
        ssid = require_field(policy, "ssid", str)
        eap_type = require_field(policy, "eapType", str)
        outer = ONC_OUTER.get(eap_type)
        if outer is None:
            raise ProfileError(f"profile {pid}: unknown EAP type {eap_type!r}")
        security = policy.get("wiFiSecurityType") or "wpaEnterprise"
        if security != "wpaEnterprise":
            raise ProfileError(
                f"profile {pid}: an EAP network needs wiFiSecurityType wpaEnterprise, "
                f"not {security!r}"
            )
        method = policy.get("authenticationMethod")
        if method != DERIVED:
            raise ProfileError(
                f"profile {pid}: authenticationMethod {method!r} is not emulated on Android; "
                "the agent renders derivedCredential"
            )
        if eap_type not in DERIVED_CREDENTIAL_EAP_TYPES:
            raise ProfileError(
                f"profile {pid}: a derived credential can only be used with EAP-TLS, "
                f"EAP-TTLS or PEAP, not {eap_type}"
            )
        identity = ctx.derived_identity()
        eap: dict[str, Any] = {
            "Outer": outer,
            "ClientCertType": "KeyPairAlias",
            "ClientCertKeyPairAlias": identity.ref,
            "Identity": certinfo.account(identity.cert),
        }
        inner = self._inner(policy, eap_type)
        if inner:
            eap["Inner"] = inner
        anonymous = policy.get("outerIdentityPrivacyTemporaryValue")
        if anonymous and eap_type != "eapTls":
            eap["AnonymousIdentity"] = str(anonymous)
        certificates = self._server_cas(policy, ctx)
        names = [str(n) for n in policy.get("trustedServerCertificateNames") or []]
        # Android Management API: an enterprise network without a root CA or a domain name is
        # non-compliant (ONC_WIFI_INVALID_ENTERPRISE_CONFIG).
        if not certificates or not names:
            raise ProfileError(
                f"profile {pid}: Android needs both a root CA (rootCertificatesForServerValidation) "
                "and server names (trustedServerCertificateNames) for an enterprise Wi-Fi network"
            )
        eap["ServerCARefs"] = [c["GUID"] for c in certificates]
        eap["DomainSuffixMatch"] = names
        wifi: dict[str, Any] = {
            "SSID": ssid,
            "Security": "WPA-EAP",
            "AutoConnect": bool(policy.get("connectAutomatically", True)),
            "HiddenSSID": bool(policy.get("connectWhenNetworkNameIsHidden", False)),
            "EAP": eap,
        }
        mac = MAC_MODES.get(str(policy.get("macAddressRandomizationMode")))
        if mac:
            wifi["MACAddressRandomizationMode"] = mac
        network = {
            "GUID": guid(pid, "wifi"),
            "Name": str(policy.get("networkName") or ssid),
            "Type": "WiFi",
            "WiFi": wifi,
        }
        doc = {
            "openNetworkConfiguration": {
                "Type": "UnencryptedConfiguration",
                "NetworkConfigurations": [network],
                "Certificates": certificates,
            }
        }
        return _artifact(
            policy,
            "wifi",
            doc,
            f"Wi-Fi {ssid!r} {outer} with derived credential alias {identity.ref}",
        )

    @staticmethod
    def _inner(policy: dict[str, Any], eap_type: str) -> str | None:
        field = INNER_FIELD.get(eap_type)
        if field is None or policy.get(field) is None:
            return None
        value = str(policy[field])
        inner = ONC_INNER[field].get(value)
        if inner is None:
            raise ProfileError(
                f"profile {policy['id']}: {field} {value!r} has no Android Management API "
                f"equivalent (only {', '.join(ONC_INNER[field])})"
            )
        return inner

    @staticmethod
    def _server_cas(policy: dict[str, Any], ctx: ProfileContext) -> list[dict[str, str]]:
        ids = [
            *(policy.get("rootCertificateForServerValidation") or []),
            *(policy.get("rootCertificatesForServerValidation") or []),
        ]
        out: list[dict[str, str]] = []
        for root_id in dict.fromkeys(ids):
            if root_id not in ctx.root_certs:
                raise ProfileError(
                    f"profile {policy['id']}: trusted-root profile {root_id} for server "
                    "validation is not installed"
                )
            ref = ctx.root_payload_uuids.get(root_id) or guid(root_id, "root")
            out.append({"GUID": ref, "Type": "Authority", "X509": _b64(ctx.root_certs[root_id])})
        return out


# --- derived-credential app authentication ---------------------------------------------------------

USER_APPROVAL = "userApproval"
SPECIFIC_APPS = "specificApps"


def apply_certificate_access(
    store: object, mode: str, packages: list[str], alias: str
) -> str | None:
    """Apply the access to `store` if it supports it; the name of the method used, or None."""
    setter: Callable[..., object] | None = getattr(store, "set_certificate_access", None)
    if callable(setter):
        setter(mode, packages if mode == SPECIFIC_APPS else [])
        return "set_certificate_access"
    grant: Callable[..., object] | None = getattr(store, "grant_silently", None)
    if callable(grant) and mode == SPECIFIC_APPS:
        for package in packages:
            grant(package, alias)
        return "grant_silently"
    return None


class AndroidDerivedCredentialAppAuth(AndroidRenderer):
    odata_type = "microsoft.graph.androidDeviceOwnerDerivedCredentialAuthenticationConfiguration"

    def uses_derived_credential(self, policy: dict[str, Any]) -> bool:
        return True

    def apply(self, policy: dict[str, Any], ctx: ProfileContext) -> Artifact:
        mode = str(policy.get("certificateAccessType") or USER_APPROVAL)
        if mode not in (USER_APPROVAL, SPECIFIC_APPS):
            raise ProfileError(
                f"profile {policy['id']}: certificateAccessType {mode!r} is not one the agent "
                f"knows ({USER_APPROVAL}, {SPECIFIC_APPS})"
            )
        packages = [
            str(item.get("packageId"))
            for item in policy.get("silentCertificateAccessDetails") or []
            if isinstance(item, dict) and item.get("packageId")
        ]
        if mode == SPECIFIC_APPS and not packages:
            raise ProfileError(
                f"profile {policy['id']}: certificateAccessType specificApps lists no packageId"
            )
        identity = ctx.derived_identity()
        applied = apply_certificate_access(ctx.store, mode, packages, identity.ref)
        doc = {
            "policyId": policy["id"],
            "alias": identity.ref,
            "certificateAccess": {
                "mode": mode,
                "silentPackageIds": packages if mode == SPECIFIC_APPS else [],
            },
            "grantsApplied": applied is not None,
            "appliedWith": applied,
        }
        who = (
            f"granted silently to {', '.join(packages)}"
            if mode == SPECIFIC_APPS
            else ("each app asks the user")
        )
        return _artifact(
            policy,
            "app-authentication",
            doc,
            f"derived credential alias {identity.ref}: {who}"
            + ("" if applied else " (the store does not support grants: not applied)"),
        )
