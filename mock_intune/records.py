"""How each piece of the tenant is written as a stored record (a JSON document) and read back.

One `encode_*`/`decode_*` pair per entity. Records hold what the model holds, not the Graph
shape (`to_json` derives fields and leaves out internal ones: the epoch a profile was saved in,
its relationships, a device's check-in token digest and notified causes). Times are kept with
their full precision (`isoformat` keeps microseconds), so decisions made from them are the same
after a restart. References between records are by key: a device names its user's UPN, a status
its profile and device.
"""

from __future__ import annotations

from typing import Any

from trust_store.clock import isoformat, parse_iso

from .assignments import Assignment, Target
from .derived_credentials import (
    DerivedCredentialSettings,
    Issuer,
    format_notification_type,
    parse_notification_type,
)
from .fields import JsonObject
from .managed_devices import DeviceAction, DeviceStatus, ManagedDevice, ReportedCredential, User
from .model import EmailMessage, Group, Profile
from .platforms import Platform

# --- derived-credential settings and their history ------------------------------------------


def encode_settings(s: DerivedCredentialSettings) -> JsonObject:
    return {
        "id": s.id,
        "displayName": s.display_name,
        "issuer": s.issuer.value,
        "helpUrl": s.help_url,
        "notificationType": format_notification_type(s.notification),
        "renewalThresholdPercentage": s.renewal_threshold,
        "extra": s.extra,
    }


def decode_settings(doc: JsonObject) -> DerivedCredentialSettings:
    return DerivedCredentialSettings(
        id=doc["id"],
        display_name=doc["displayName"],
        issuer=Issuer(doc["issuer"]),
        help_url=doc["helpUrl"],
        notification=parse_notification_type(doc["notificationType"], "notificationType"),
        renewal_threshold=doc["renewalThresholdPercentage"],
        extra=doc["extra"],
    )


def encode_issuer_state(
    settings: DerivedCredentialSettings | None, deleted: set[str], epoch: int
) -> JsonObject:
    return {
        "settings": None if settings is None else encode_settings(settings),
        "deletedSettings": sorted(deleted),
        "issuerEpoch": epoch,
    }


# --- profiles, assignments, groups ------------------------------------------------------------


def encode_profile(p: Profile) -> JsonObject:
    return {
        "id": p.id,
        "odataType": p.odata_type,
        "props": p.props,
        "created": isoformat(p.created),
        "modified": isoformat(p.modified),
        "refs": p.refs,
        "version": p.version,
        "savedEpoch": p.saved_epoch,
    }


def decode_profile(doc: JsonObject) -> Profile:
    return Profile(
        id=doc["id"],
        odata_type=doc["odataType"],
        props=doc["props"],
        created=parse_iso(doc["created"]),
        modified=parse_iso(doc["modified"]),
        refs={name: list(ids) for name, ids in doc["refs"].items()},
        version=doc["version"],
        saved_epoch=doc["savedEpoch"],
    )


def encode_assignments(items: list[Assignment]) -> JsonObject:
    return {
        "value": [
            {
                "id": a.id,
                "profileId": a.profile_id,
                "intent": a.intent,
                "target": {
                    "odataType": a.target.odata_type,
                    "groupId": a.target.group_id,
                    "filterId": a.target.filter_id,
                    "filterType": a.target.filter_type,
                },
            }
            for a in items
        ]
    }


def decode_assignments(doc: JsonObject) -> list[Assignment]:
    out: list[Assignment] = []
    for a in doc["value"]:
        t = a["target"]
        target = Target(t["odataType"], t["groupId"], t["filterId"], t["filterType"])
        out.append(Assignment(a["id"], a["profileId"], target, a["intent"]))
    return out


def encode_group(g: Group) -> JsonObject:
    return {
        "id": g.id,
        "displayName": g.display_name,
        "members": sorted(g.members),
        "created": isoformat(g.created),
        "description": g.description,
        "extra": g.extra,
    }


def decode_group(doc: JsonObject) -> Group:
    return Group(
        doc["id"],
        doc["displayName"],
        frozenset(doc["members"]),
        parse_iso(doc["created"]),
        doc["description"],
        doc["extra"],
    )


# --- users, managed devices, statuses, mail ---------------------------------------------------


def encode_user(u: User) -> JsonObject:
    return {"id": u.id, "upn": u.upn}


def decode_user(doc: JsonObject) -> User:
    return User(doc["id"], doc["upn"])


def _time_or_none(value: Any) -> Any:
    return None if value is None else parse_iso(value)


def encode_credential(c: ReportedCredential) -> JsonObject:
    return {
        "issuer": c.issuer,
        "thumbprint": c.thumbprint,
        "notBefore": isoformat(c.not_before),
        "notAfter": isoformat(c.not_after),
        "settingsId": c.settings_id,
    }


def decode_credential(doc: JsonObject) -> ReportedCredential:
    return ReportedCredential(
        doc["issuer"],
        doc["thumbprint"],
        parse_iso(doc["notBefore"]),
        parse_iso(doc["notAfter"]),
        doc["settingsId"],
    )


def encode_device(d: ManagedDevice) -> JsonObject:
    return {
        "id": d.id,
        "user": d.user.upn.lower(),
        "deviceName": d.name,
        "platform": d.platform.value,
        "osVersion": d.os_version,
        "model": d.model,
        "enrollmentType": d.enrollment_type,
        "enrolled": isoformat(d.enrolled),
        "checkinTokenSha256": d.checkin_token_digest,
        "nextCheckin": isoformat(d.next_checkin),
        "lastSync": None if d.last_sync is None else isoformat(d.last_sync),
        "credential": None if d.credential is None else encode_credential(d.credential),
        "notified": sorted(d.notified),
        "actions": [
            {
                "name": a.name,
                "state": a.state,
                "started": isoformat(a.started),
                "updated": isoformat(a.updated),
            }
            for a in d.actions
        ],
        "hardwareId": d.hardware_id,
    }


def decode_device(doc: JsonObject, users: dict[str, User]) -> ManagedDevice:
    """A device, linked to its user (one of `users`, by lower-cased UPN)."""
    credential = doc["credential"]
    return ManagedDevice(
        id=doc["id"],
        user=users[doc["user"]],
        name=doc["deviceName"],
        platform=Platform(doc["platform"]),
        os_version=doc["osVersion"],
        model=doc["model"],
        enrollment_type=doc["enrollmentType"],
        enrolled=parse_iso(doc["enrolled"]),
        checkin_token_digest=doc["checkinTokenSha256"],
        next_checkin=parse_iso(doc["nextCheckin"]),
        last_sync=_time_or_none(doc["lastSync"]),
        credential=None if credential is None else decode_credential(credential),
        notified=set(doc["notified"]),
        actions=[
            DeviceAction(a["name"], a["state"], parse_iso(a["started"]), parse_iso(a["updated"]))
            for a in doc["actions"]
        ],
        hardware_id=doc["hardwareId"],
    )


def encode_status(s: DeviceStatus) -> JsonObject:
    return {
        "profileId": s.profile_id,
        "deviceId": s.device.id,
        "version": s.version,
        "status": s.status,
        "detail": s.detail,
        "reported": isoformat(s.reported),
    }


def decode_status(doc: JsonObject, devices: dict[str, ManagedDevice]) -> DeviceStatus:
    """A status, linked to its device (one of `devices`, by id)."""
    return DeviceStatus(
        devices[doc["deviceId"]],
        doc["profileId"],
        doc["version"],
        doc["status"],
        doc["detail"],
        parse_iso(doc["reported"]),
    )


def encode_email(m: EmailMessage) -> JsonObject:
    return {
        "id": m.id,
        "to": m.to,
        "subject": m.subject,
        "body": m.body,
        "sent": isoformat(m.sent),
        "deviceId": m.device_id,
    }


def decode_email(doc: JsonObject) -> EmailMessage:
    return EmailMessage(
        doc["id"], doc["to"], doc["subject"], doc["body"], parse_iso(doc["sent"]), doc["deviceId"]
    )
