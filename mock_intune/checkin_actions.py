"""What Intune decides for one device at check-in: which profiles target it, which of those are
held back, and whether it must enroll for (or renew) a derived credential.

Pure functions of the tenant, the device and the time; nothing here changes state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from trust_store.clock import isoformat

from .assignments import targets
from .derived_credentials import DerivedCredentialSettings
from .fields import JsonObject
from .managed_devices import ManagedDevice, ReportedCredential
from .model import Profile, Tenant


class ActionKind(StrEnum):
    ENROLL = "enrollDerivedCredential"
    RENEW = "renewDerivedCredential"


class Reason(StrEnum):
    NO_CREDENTIAL = "noCredential"
    SETTINGS_DELETED = "issuedUnderDeletedSettings"
    OTHER_SETTINGS = "issuedUnderOtherSettings"
    ISSUER_MISMATCH = "issuerMismatch"
    EXPIRED = "credentialExpired"
    RENEWAL_THRESHOLD = "renewalThresholdReached"


class HoldReason(StrEnum):
    NO_ISSUER = "noDerivedCredentialIssuer"
    ISSUER_DELETED = "editRequiredAfterIssuerChange"


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    reason: Reason
    detail: str

    def to_json(self) -> JsonObject:
        return {"action": self.kind.value, "reason": self.reason.value, "detail": self.detail}


@dataclass(frozen=True)
class Hold:
    profile: Profile
    reason: HoldReason
    detail: str

    def to_json(self) -> JsonObject:
        return {
            "id": self.profile.id,
            "@odata.type": self.profile.odata_type,
            "version": self.profile.version,
            "reason": self.reason.value,
            "detail": self.detail,
        }


def targeted_profiles(tenant: Tenant, device: ManagedDevice) -> list[Profile]:
    """Profiles of the device's platform whose assignments include its user (or all devices)
    and no exclusion group of which holds the user."""
    return [
        p
        for p in tenant.profiles.values()
        if p.platform is device.platform
        and targets(tenant.assignments.get(p.id, []), device.user.upn, tenant)
    ]


def hold(tenant: Tenant, profile: Profile) -> Hold | None:
    """Why a profile is not delivered, or None when it is."""
    if not profile.uses_derived_credential:
        return None
    if tenant.settings is None:
        return Hold(
            profile,
            HoldReason.NO_ISSUER,
            "the profile uses a derived credential and the tenant has no derived-credential "
            "issuer configured",
        )
    if profile.saved_epoch < tenant.issuer_epoch:
        return Hold(
            profile,
            HoldReason.ISSUER_DELETED,
            "the derived-credential issuer was deleted after this profile was last saved; "
            "edit the profile (any PATCH) to deliver it again",
        )
    return None


def credential_action(
    settings: DerivedCredentialSettings,
    deleted_settings: set[str],
    credential: ReportedCredential | None,
    now: dt.datetime,
) -> Action | None:
    """Enrollment or renewal the device needs under the current settings, if any."""
    if credential is None:
        return Action(
            ActionKind.ENROLL, Reason.NO_CREDENTIAL, "the device has no derived credential"
        )
    if credential.settings_id != settings.id:
        if credential.settings_id in deleted_settings:
            return Action(
                ActionKind.ENROLL,
                Reason.SETTINGS_DELETED,
                f"the credential was issued under settings {credential.settings_id}, which were "
                "deleted; credentials issued under them no longer work",
            )
        return Action(
            ActionKind.ENROLL,
            Reason.OTHER_SETTINGS,
            f"the credential was not issued under the tenant's settings {settings.id}",
        )
    if credential.issuer != settings.issuer.value:
        return Action(
            ActionKind.ENROLL,
            Reason.ISSUER_MISMATCH,
            f"the credential comes from {credential.issuer}, the tenant's issuer is "
            f"{settings.issuer.value}",
        )
    if now >= credential.not_after:
        return Action(
            ActionKind.ENROLL,
            Reason.EXPIRED,
            f"the credential expired at {isoformat(credential.not_after)}",
        )
    lifetime = credential.not_after - credential.not_before
    used = now - credential.not_before
    at = settings.renewal_at_percent()
    if used * 100 >= lifetime * at:
        return Action(
            ActionKind.RENEW,
            Reason.RENEWAL_THRESHOLD,
            f"the credential has used {at}% or more of its lifetime; get a new one before it "
            f"expires at {isoformat(credential.not_after)}",
        )
    return None


@dataclass(frozen=True)
class Decision:
    settings: DerivedCredentialSettings | None
    delivered: list[Profile]
    held: list[Hold]
    action: Action | None


def decide(tenant: Tenant, device: ManagedDevice, now: dt.datetime) -> Decision:
    """Everything Intune tells the device at this check-in, before notifications.

    The device is asked for a derived credential only once a profile that uses one targets it
    (held profiles count: they still target the user); never while the tenant has no issuer.
    """
    delivered: list[Profile] = []
    held: list[Hold] = []
    for p in targeted_profiles(tenant, device):
        h = hold(tenant, p)
        if h is None:
            delivered.append(p)
        else:
            held.append(h)
    needs_credential = any(p.uses_derived_credential for p in delivered) or any(
        h.reason is HoldReason.ISSUER_DELETED for h in held
    )
    action = None
    if tenant.settings is not None and needs_credential:
        action = credential_action(tenant.settings, tenant.deleted_settings, device.credential, now)
    return Decision(tenant.settings, delivered, held, action)
