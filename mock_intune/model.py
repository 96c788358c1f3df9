"""Tenant state: derived-credential settings, profiles with version counters, assignments,
groups, users, managed devices, device statuses and the email outbox.

Entities are plain dataclasses with `to_json` in their Graph shape. Every change to the state is
made after all input checks pass, with no `await` in between, so a refused request changes
nothing and concurrent requests never see half an update.

Every change goes through a `Tenant` method or is followed by `Tenant.touch`, which notes the
changed record (`Records` collection and key); `store.TenantStore.flush` writes the noted
records to storage before the request's answer is sent. The model itself does no I/O.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from enum import StrEnum

from trust_store.clock import isoformat

from .assignments import Assignment
from .derived_credentials import DerivedCredentialSettings
from .fields import JsonObject
from .managed_devices import DeviceStatus, ManagedDevice, User
from .platforms import Platform
from .problems import Conflict, NotFound
from .profiles import REGISTRY, ProfileType

__all__ = [
    "DeviceStatus",
    "EmailMessage",
    "Group",
    "ManagedDevice",
    "Profile",
    "Records",
    "Tenant",
    "User",
    "token_digest",
]


class Records(StrEnum):
    """The collections a tenant is stored in (`store.TenantStore`), one record per key."""

    #: One record (`ISSUER_KEY`): the settings, the ids of deleted settings, the issuer epoch.
    ISSUER = "derivedCredentials"
    PROFILES = "deviceConfigurations"
    #: A profile's assignments, by profile id (`assign` replaces them together).
    ASSIGNMENTS = "assignments"
    GROUPS = "groups"
    #: By lower-cased UPN.
    USERS = "users"
    MANAGED_DEVICES = "managedDevices"
    #: By `status_key(profile id, device id)`.
    DEVICE_STATUSES = "deviceStatuses"
    OUTBOX = "outbox"


ISSUER_KEY = "tenant"


def status_key(profile_id: str, device_id: str) -> str:
    """The record key of a device status (also its Graph id)."""
    return f"{profile_id}_{device_id}"


def token_digest(token: str) -> str:
    """What the tenant keeps of a device's check-in token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Profile:
    id: str
    odata_type: str
    #: Administrator-written properties: recognised ones normalised, unknown ones kept.
    props: JsonObject
    created: dt.datetime
    modified: dt.datetime
    #: Relationship name -> ids of the referenced profiles.
    refs: dict[str, list[str]] = field(default_factory=dict)
    version: int = 1
    #: `Tenant.issuer_epoch` when the profile was last created or edited.
    saved_epoch: int = 0

    @property
    def type(self) -> ProfileType:
        return REGISTRY[self.odata_type]

    @property
    def platform(self) -> Platform:
        return self.type.platform

    @property
    def uses_derived_credential(self) -> bool:
        return self.type.uses_derived_credential(self.props)

    def to_json(self) -> JsonObject:
        return {
            **self.props,
            "@odata.type": self.odata_type,
            "id": self.id,
            "version": self.version,
            "createdDateTime": isoformat(self.created),
            "lastModifiedDateTime": isoformat(self.modified),
            "supportsScopeTags": True,
        }

    def to_device_json(self) -> JsonObject:
        """The shape a device receives at check-in: relationships resolved to id lists."""
        return {**self.to_json(), **{name: list(ids) for name, ids in self.refs.items()}}


@dataclass
class Group:
    id: str
    display_name: str
    #: Member UPNs, lower-cased.
    members: frozenset[str]
    created: dt.datetime
    description: str | None = None
    extra: JsonObject = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        return {
            **self.extra,
            "@odata.type": "#microsoft.graph.group",
            "id": self.id,
            "displayName": self.display_name,
            "description": self.description,
            "createdDateTime": isoformat(self.created),
            "members": sorted(self.members),
        }


@dataclass(frozen=True)
class EmailMessage:
    id: str
    to: str
    subject: str
    body: str
    sent: dt.datetime
    device_id: str

    def to_json(self) -> JsonObject:
        return {
            "id": self.id,
            "to": self.to,
            "subject": self.subject,
            "body": self.body,
            "sentDateTime": isoformat(self.sent),
            "deviceId": self.device_id,
        }


@dataclass
class Tenant:
    settings: DerivedCredentialSettings | None = None
    #: Ids of derived-credential settings that were deleted: credentials issued under them no
    #: longer count, even when the same issuer is configured again.
    deleted_settings: set[str] = field(default_factory=set)
    #: Bumped by every deletion of the settings; profiles saved before the bump that use a
    #: derived credential must be edited before they are delivered again.
    issuer_epoch: int = 0
    profiles: dict[str, Profile] = field(default_factory=dict)
    assignments: dict[str, list[Assignment]] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    #: Keyed by lower-cased UPN.
    users: dict[str, User] = field(default_factory=dict)
    devices: dict[str, ManagedDevice] = field(default_factory=dict)
    #: Check-in token digest (`token_digest`) -> device id; an index of the devices' tokens.
    tokens: dict[str, str] = field(default_factory=dict)
    #: (profile id, device id) -> latest status.
    statuses: dict[tuple[str, str], DeviceStatus] = field(default_factory=dict)
    outbox: list[EmailMessage] = field(default_factory=list)
    #: Records changed since they were last stored, in the order first changed (not state).
    changed: dict[tuple[Records, str], None] = field(
        default_factory=dict, compare=False, repr=False
    )

    def reset(self) -> None:
        fresh = Tenant()
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(fresh, name))

    def touch(self, records: Records, key: str) -> None:
        """Note that a record changed (created, edited or deleted) so the store writes it."""
        self.changed[(records, key)] = None

    # --- derived-credential settings ----------------------------------------------------------

    def add_settings(self, settings: DerivedCredentialSettings) -> None:
        if self.settings is not None:
            raise Conflict(
                "the tenant already has a derived-credential issuer "
                f"({self.settings.issuer.value}, settings {self.settings.id}); "
                "only one issuer per tenant",
                existing=self.settings.id,
            )
        self.settings = settings
        self.touch(Records.ISSUER, ISSUER_KEY)

    def replace_settings(self, settings: DerivedCredentialSettings) -> None:
        """The current settings, edited (same id)."""
        self.settings_by_id(settings.id)
        self.settings = settings
        self.touch(Records.ISSUER, ISSUER_KEY)

    def delete_settings(self, settings_id: str) -> None:
        """Every credential issued under these settings stops counting; profiles that use a
        derived credential wait for an edit before they are delivered again."""
        self.settings_by_id(settings_id)
        self.settings = None
        self.deleted_settings.add(settings_id)
        self.issuer_epoch += 1
        self.touch(Records.ISSUER, ISSUER_KEY)

    # --- profiles, assignments, groups --------------------------------------------------------

    def add_profile(self, profile: Profile) -> None:
        self.profiles[profile.id] = profile
        self.touch(Records.PROFILES, profile.id)

    def remove_profile(self, profile_id: str) -> None:
        """Forget a profile with its assignments and device statuses."""
        del self.profiles[profile_id]
        self.touch(Records.PROFILES, profile_id)
        if self.assignments.pop(profile_id, None) is not None:
            self.touch(Records.ASSIGNMENTS, profile_id)
        for key in [k for k in self.statuses if k[0] == profile_id]:
            del self.statuses[key]
            self.touch(Records.DEVICE_STATUSES, status_key(*key))

    def set_assignments(self, profile_id: str, assignments: list[Assignment]) -> None:
        self.profile(profile_id)  # still there (it may have gone while the body was read)
        self.assignments[profile_id] = assignments
        self.touch(Records.ASSIGNMENTS, profile_id)

    def add_group(self, group: Group) -> None:
        self.groups[group.id] = group
        self.touch(Records.GROUPS, group.id)

    # --- users, devices, statuses, mail -------------------------------------------------------

    def add_user(self, user: User) -> User:
        self.users[user.upn.lower()] = user
        self.touch(Records.USERS, user.upn.lower())
        return user

    def add_device(self, device: ManagedDevice) -> None:
        self.devices[device.id] = device
        self.tokens[device.checkin_token_digest] = device.id
        self.touch(Records.MANAGED_DEVICES, device.id)

    def new_checkin_token(self, device: ManagedDevice, token: str) -> None:
        """`token` replaces the device's check-in token (the old one stops working)."""
        self.tokens.pop(device.checkin_token_digest, None)
        device.checkin_token_digest = token_digest(token)
        self.tokens[device.checkin_token_digest] = device.id
        self.touch(Records.MANAGED_DEVICES, device.id)

    def device_by_token(self, token: str) -> ManagedDevice | None:
        device_id = self.tokens.get(token_digest(token))
        return None if device_id is None else self.devices.get(device_id)

    def device_changed(self, device: ManagedDevice) -> None:
        """Note a change made to `device` in place (check-in, sync, notifications)."""
        self.touch(Records.MANAGED_DEVICES, device.id)

    def set_status(self, status: DeviceStatus) -> None:
        key = (status.profile_id, status.device.id)
        self.statuses[key] = status
        self.touch(Records.DEVICE_STATUSES, status_key(*key))

    def send_email(self, message: EmailMessage) -> None:
        self.outbox.append(message)
        self.touch(Records.OUTBOX, message.id)

    # --- look-ups -----------------------------------------------------------------------------

    def settings_by_id(self, settings_id: str) -> DerivedCredentialSettings:
        if self.settings is None or self.settings.id != settings_id:
            raise NotFound(f"no derived-credential settings {settings_id!r}")
        return self.settings

    def profile(self, profile_id: str) -> Profile:
        try:
            return self.profiles[profile_id]
        except KeyError:
            raise NotFound(f"no device configuration {profile_id!r}") from None

    def group(self, group_id: str) -> Group:
        try:
            return self.groups[group_id]
        except KeyError:
            raise NotFound(f"no group {group_id!r}") from None

    def device(self, device_id: str) -> ManagedDevice:
        try:
            return self.devices[device_id]
        except KeyError:
            raise NotFound(f"no managed device {device_id!r}") from None

    def statuses_of(self, profile_id: str) -> list[DeviceStatus]:
        return [s for (pid, _), s in self.statuses.items() if pid == profile_id]

    def referrers(self, profile_id: str) -> list[Profile]:
        """Profiles whose relationships point at `profile_id`."""
        return [
            p for p in self.profiles.values() if any(profile_id in ids for ids in p.refs.values())
        ]

    def member_of(self, group_id: str, upn: str) -> bool:
        group = self.groups.get(group_id)
        return group is not None and upn.lower() in group.members
