"""iOS/iPadOS VPN, Exchange mail (with S/MIME) and derived-credential app authentication.

- `iosVpnConfiguration` → `com.apple.vpn.managed`, native IKEv2: `AuthenticationMethod`
  `Certificate` with `PayloadCertificateUUID` naming the derived PIV Authentication identity.
- `iosEasEmailProfileConfiguration` → `com.apple.eas.account`: `PayloadCertificateUUID` (account
  authentication) = the PIV Authentication identity, `SMIMESigningCertificateUUID` = the
  digital-signature identity, `SMIMEEncryptionCertificateUUID` = the *current* key-management
  identity (older escrowed ones only decrypt old mail; they are never offered for encryption).
- `iosDerivedCredentialAuthenticationConfiguration`: Apple defines no payload for it. Company
  Portal shares the identity with managed apps through its keychain access group; the artifact
  is a small JSON record of that sharing, not an Apple profile.

As in `apple.py`, a payload names an identity by its keychain reference, the way a profile names
an identity payload by UUID.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from trust_store.stores import CredentialRole, Identity
from trust_store.stores.ios_keychain import IOSKeychain

from ..errors import ProfileError
from ..smime import IOS_MAIL_APP
from . import certinfo
from .apple import MOBILECONFIG, AppleRenderer, mobileconfig, payload_header
from .base import Artifact, ProfileContext, require_field

DERIVED = "derivedCredential"
JSON = "application/json"


def _unsupported(policy: dict[str, Any], what: str, value: object, why: str) -> ProfileError:
    return ProfileError(f"profile {policy['id']}: {what} {value!r} is not emulated: {why}")


# --- VPN ----------------------------------------------------------------------------------------

IKEV2 = "ikEv2"


def _ikev2_derived(policy: dict[str, Any], ctx: ProfileContext, ikev2: dict[str, Any]) -> str:
    identity = ctx.derived_identity()
    ikev2["AuthenticationMethod"] = "Certificate"
    ikev2["PayloadCertificateUUID"] = identity.ref
    ikev2["LocalIdentifier"] = certinfo.account(identity.cert)
    kind = certinfo.key_kind(identity.cert)
    if kind:
        # Apple: with CertificateType set, ServerCertificateIssuerCommonName is required.
        issuer_cn = policy.get("serverCertificateIssuerCommonName") or next(
            (certinfo.common_name(c) for c in ctx.root_certs.values()), None
        )
        if not issuer_cn:
            raise ProfileError(
                f"profile {policy['id']}: IKEv2 certificate authentication needs the VPN "
                "server's issuer common name: deploy a trusted-root profile for the VPN server, "
                "or set serverCertificateIssuerCommonName"
            )
        ikev2["CertificateType"] = kind
        ikev2["ServerCertificateIssuerCommonName"] = str(issuer_cn)
    return f"with derived credential {identity.ref} ({identity.cert.subject.rfc4514_string()})"


def _ikev2_eap_password(policy: dict[str, Any], ctx: ProfileContext, ikev2: dict[str, Any]) -> str:
    # Apple: EAP-only authentication is AuthenticationMethod None with ExtendedAuthEnabled 1.
    ikev2["AuthenticationMethod"] = "None"
    ikev2["ExtendedAuthEnabled"] = 1
    return "with user name and password (prompted)"


#: Graph `vpnAuthenticationMethod` → how the IKEv2 dictionary authenticates.
IKEV2_AUTH: dict[str, Callable[[dict[str, Any], ProfileContext, dict[str, Any]], str]] = {
    DERIVED: _ikev2_derived,
    "usernameAndPassword": _ikev2_eap_password,
}


class IOSVpn(AppleRenderer):
    odata_type = "microsoft.graph.iosVpnConfiguration"

    def apply(self, policy: dict[str, Any], ctx: ProfileContext) -> Artifact:
        name = require_field(policy, "connectionName", str)
        ctype = require_field(policy, "connectionType", str)
        if ctype != IKEV2:
            raise _unsupported(
                policy,
                "connectionType",
                ctype,
                "it needs the vendor's VPN app; the agent renders the native IKEv2 client (ikEv2)",
            )
        server = require_field(policy, "server", dict)
        address = server.get("address")
        if not isinstance(address, str) or not address:
            raise ProfileError(f"profile {policy['id']}: server.address is missing")
        method = policy.get("authenticationMethod") or "certificate"
        auth = IKEV2_AUTH.get(method)
        if auth is None:
            raise _unsupported(
                policy,
                "authenticationMethod",
                method,
                f"the agent renders IKEv2 with {', '.join(IKEV2_AUTH)}",
            )
        ikev2: dict[str, Any] = {
            "RemoteAddress": address,
            "RemoteIdentifier": address,
            # Replaced by the credential's account name when it authenticates.
            "LocalIdentifier": str(policy.get("identifier") or address),
            "DeadPeerDetectionRate": "Medium",
        }
        how = auth(policy, ctx, ikev2)
        payload = payload_header(policy["id"], "vpn", "com.apple.vpn.managed", name) | {
            "UserDefinedName": name,
            "VPNType": "IKEv2",
            "IKEv2": ikev2,
            # Split tunnelling off: all traffic goes through the tunnel.
            "IPv4": {"OverridePrimary": 0 if policy.get("enableSplitTunneling") else 1},
        }
        return Artifact(
            policy["id"],
            "vpn",
            f"{policy['id']}.mobileconfig",
            MOBILECONFIG,
            mobileconfig(policy, [payload]),
            f"IKEv2 VPN {name!r} to {address} {how}",
        )


# --- Exchange ActiveSync mail with S/MIME ---------------------------------------------------------

#: Graph `emailSyncDuration` → Apple `MailNumberOfPastDaysToSync` (0: no limit).
SYNC_DAYS = {
    "oneDay": 1,
    "threeDays": 3,
    "oneWeek": 7,
    "twoWeeks": 14,
    "oneMonth": 31,
    "unlimited": 0,
}
#: Graph boolean property → Apple key with the same meaning.
EAS_FLAGS = {
    "requireSsl": "SSL",
    "useOAuth": "OAuth",
    "blockMovingMessagesToOtherEmailAccounts": "PreventMove",
    "blockSendingEmailFromThirdPartyApps": "PreventAppSheet",
    "blockSyncingRecentlyUsedEmailAddresses": "disableMailRecentsSyncing",
    "smimeSigningUserOverrideEnabled": "SMIMESigningUserOverrideable",
    "smimeSigningCertificateUserOverrideEnabled": "SMIMESigningCertificateUUIDUserOverrideable",
    "smimeEncryptByDefaultEnabled": "SMIMEEncryptByDefault",
    "smimeEncryptByDefaultUserOverrideEnabled": "SMIMEEncryptByDefaultUserOverrideable",
    "smimeEncryptionCertificateUserOverrideEnabled": (
        "SMIMEEncryptionCertificateUUIDUserOverrideable"
    ),
    "smimeEnablePerMessageSwitch": "SMIMEEnableEncryptionPerMessageSwitch",
}
#: Graph `easServices` member → Apple key.
EAS_SERVICES = {
    "email": "EnableMail",
    "contacts": "EnableContacts",
    "calendars": "EnableCalendars",
    "reminders": "EnableReminders",
    "notes": "EnableNotes",
}
#: Graph property → (credential role, Apple key) for each use of the derived credential.
EAS_IDENTITIES = {
    "authenticationMethod": (CredentialRole.PIV_AUTH, "PayloadCertificateUUID"),
    "signingCertificateType": (CredentialRole.SIGNATURE, "SMIMESigningCertificateUUID"),
    "encryptionCertificateType": (CredentialRole.KEY_MANAGEMENT, "SMIMEEncryptionCertificateUUID"),
}
#: Values of those properties that do not name a certificate.
NO_CERTIFICATE = frozenset({None, "none", "usernameAndPassword"})


class IOSExchangeMail(AppleRenderer):
    odata_type = "microsoft.graph.iosEasEmailProfileConfiguration"

    def uses_derived_credential(self, policy: dict[str, Any]) -> bool:
        return any(policy.get(f) == DERIVED for f in EAS_IDENTITIES)

    def apply(self, policy: dict[str, Any], ctx: ProfileContext) -> Artifact:
        host = require_field(policy, "hostName", str)
        account = str(policy.get("accountName") or host)
        payload = payload_header(policy["id"], "eas", "com.apple.eas.account", account) | {
            "Host": host,
            "SSL": True,
        }
        used: dict[CredentialRole, Identity] = {}
        for field, (role, key) in EAS_IDENTITIES.items():
            value = policy.get(field)
            if value in NO_CERTIFICATE:
                continue
            if value != DERIVED:
                raise _unsupported(
                    policy,
                    field,
                    value,
                    "certificate profiles (SCEP/PKCS) are not emulated; use derivedCredential",
                )
            identity = ctx.derived_identity(role)
            used[role] = identity
            payload[key] = identity.ref
        payload["SMIMESigningEnabled"] = bool(
            policy.get("smimeSigningEnabled", CredentialRole.SIGNATURE in used)
        )
        if CredentialRole.KEY_MANAGEMENT in used:
            payload["SMIMEEncryptionEnabled"] = True
        for graph, apple in EAS_FLAGS.items():
            if isinstance(policy.get(graph), bool):
                payload[apple] = policy[graph]
        days = SYNC_DAYS.get(str(policy.get("durationOfEmailToSync")))
        if days is not None:
            payload["MailNumberOfPastDaysToSync"] = days
        services = policy.get("easServices")
        if isinstance(services, str):
            on = {s.strip() for s in services.split(",")}
            payload.update({apple: graph in on for graph, apple in EAS_SERVICES.items()})
        self._address(policy, payload, list(used.values()))
        if used and isinstance(ctx.store, IOSKeychain):
            # The account's identities are the native Mail app's to use for S/MIME.
            ctx.store.register_app(IOS_MAIL_APP, {i.scope for i in used.values()})
        roles = ", ".join(f"{r.value} {i.ref}" for r, i in used.items()) or "no certificate"
        return Artifact(
            policy["id"],
            "email",
            f"{policy['id']}.mobileconfig",
            MOBILECONFIG,
            mobileconfig(policy, [payload]),
            f"Exchange account {account!r} on {host} ({roles})",
        )

    @staticmethod
    def _address(policy: dict[str, Any], payload: dict[str, Any], used: list[Identity]) -> None:
        """`EmailAddress` and `UserName` from the derived credential's names (Intune fills them
        from the user's directory entry); without a credential the device prompts for them."""
        if not used:
            return
        cert = used[0].cert
        by_upn = certinfo.upn(cert) or certinfo.email(cert)
        by_smtp = next((certinfo.email(i.cert) for i in used if certinfo.email(i.cert)), by_upn)
        sources = {"userPrincipalName": by_upn, "primarySmtpAddress": by_smtp}
        address = sources.get(str(policy.get("emailAddressSource")), by_upn)
        user = sources.get(str(policy.get("usernameSource")), address)
        if address:
            payload["EmailAddress"] = address
        if user:
            payload["UserName"] = user


# --- derived-credential app authentication ---------------------------------------------------------

APP_AUTH_NOTE = (
    "Apple defines no configuration-profile payload for derived-credential app authentication. "
    "Company Portal keeps the identity in the keychain access group it shares with the managed "
    "apps of the same team; those apps use it through the Intune App SDK. This record states "
    "which identity is shared; it is not an Apple artifact."
)


class IOSDerivedCredentialAppAuth(AppleRenderer):
    odata_type = "microsoft.graph.iosDerivedCredentialAuthenticationConfiguration"

    def uses_derived_credential(self, policy: dict[str, Any]) -> bool:
        return True

    def apply(self, policy: dict[str, Any], ctx: ProfileContext) -> Artifact:
        identity = ctx.derived_identity()
        doc = {
            "policyId": policy["id"],
            "@odata.type": "#" + self.odata_type,
            "platform": self.family.value,
            "identityRef": identity.ref,
            "accessGroup": identity.scope,
            "sharedBy": ctx.app,
            "certificate": {
                "subject": identity.cert.subject.rfc4514_string(),
                "sha256": identity.thumbprint,
                "notAfter": identity.cert.not_valid_after_utc.isoformat(),
            },
            "note": APP_AUTH_NOTE,
        }
        return Artifact(
            policy["id"],
            "app-authentication",
            f"{policy['id']}.json",
            JSON,
            json.dumps(doc, indent=2).encode(),
            f"derived credential {identity.ref} shared with managed apps in {identity.scope} "
            "(no Apple payload exists: JSON record)",
        )
