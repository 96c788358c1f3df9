"""Assignment targets (`deviceAndAppManagementAssignmentTarget` subtypes) and the `assign` body.

Each target type is a small class keyed by `@odata.type`; exclusion targets win over every
inclusion. Group membership is by user principal name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from .fields import (
    Choice,
    JsonObject,
    Text,
    read_fields,
    refuse_unknown,
    require_list,
    require_object,
)
from .problems import field_error

GRAPH_NS = "#microsoft.graph."
ASSIGNMENT_TYPE = GRAPH_NS + "deviceConfigurationAssignment"
INTENTS = ("apply", "remove")
FILTER_TYPES = ("none", "include", "exclude")


class Membership(Protocol):
    def member_of(self, group_id: str, upn: str) -> bool: ...


@dataclass(frozen=True)
class Target:
    odata_type: str
    group_id: str | None = None
    filter_id: str | None = None
    filter_type: str = "none"

    @property
    def kind(self) -> TargetType:
        return TARGET_TYPES[self.odata_type]

    def to_json(self) -> JsonObject:
        out: JsonObject = {"@odata.type": self.odata_type}
        if self.kind.needs_group:
            out["groupId"] = self.group_id
        out["deviceAndAppManagementAssignmentFilterId"] = self.filter_id
        out["deviceAndAppManagementAssignmentFilterType"] = self.filter_type
        return out


class TargetType:
    odata_type: ClassVar[str]
    needs_group: ClassVar[bool] = False
    #: An exclusion target removes the users it matches, whatever includes them.
    exclusion: ClassVar[bool] = False

    def matches(self, target: Target, upn: str, tenant: Membership) -> bool:
        raise NotImplementedError


TARGET_TYPES: dict[str, TargetType] = {}


def _register(cls: type[TargetType]) -> type[TargetType]:
    TARGET_TYPES[cls.odata_type] = cls()
    return cls


@_register
class AllDevices(TargetType):
    odata_type = GRAPH_NS + "allDevicesAssignmentTarget"

    def matches(self, target: Target, upn: str, tenant: Membership) -> bool:
        return True


@_register
class AllLicensedUsers(TargetType):
    """Every user the tenant knows is licensed in the lab."""

    odata_type = GRAPH_NS + "allLicensedUsersAssignmentTarget"

    def matches(self, target: Target, upn: str, tenant: Membership) -> bool:
        return bool(upn)


@_register
class GroupTarget(TargetType):
    odata_type = GRAPH_NS + "groupAssignmentTarget"
    needs_group = True

    def matches(self, target: Target, upn: str, tenant: Membership) -> bool:
        return target.group_id is not None and tenant.member_of(target.group_id, upn)


@_register
class ExclusionGroupTarget(GroupTarget):
    odata_type = GRAPH_NS + "exclusionGroupAssignmentTarget"
    exclusion = True


@dataclass(frozen=True)
class Assignment:
    id: str
    profile_id: str
    target: Target
    intent: str = "apply"

    def to_json(self) -> JsonObject:
        return {
            "@odata.type": ASSIGNMENT_TYPE,
            "id": self.id,
            "intent": self.intent,
            "source": "direct",
            "sourceId": self.profile_id,
            "target": self.target.to_json(),
        }


def targets(assignments: list[Assignment], upn: str, tenant: Membership) -> bool:
    """Whether these assignments deliver the profile to a device of user `upn`."""
    included = False
    for a in assignments:
        if a.intent != "apply":
            continue
        kind = a.target.kind
        if kind.matches(a.target, upn, tenant):
            if kind.exclusion:
                return False
            included = True
    return included


TARGET_FIELDS = (
    Text(name="groupId", max_length=64),
    Text(name="deviceAndAppManagementAssignmentFilterId", max_length=64),
    Choice(name="deviceAndAppManagementAssignmentFilterType", values=FILTER_TYPES),
)


def _normalise(t: str) -> str:
    return t if t.startswith("#") else "#" + t


def parse_target(raw: Any, path: str, group_exists: Callable[[str], bool], strict: bool) -> Target:
    body = require_object(raw, path)
    t = body.get("@odata.type")
    kind = TARGET_TYPES.get(_normalise(t)) if isinstance(t, str) else None
    if kind is None:
        raise field_error(
            f"{path}.@odata.type",
            f"unsupported assignment target {t!r}",
            allowed=sorted(TARGET_TYPES),
        )
    if strict:
        refuse_unknown(body, [f.name for f in TARGET_FIELDS], path)
    v = read_fields(TARGET_FIELDS, body, where=path)
    group_id = v.get("groupId")
    if kind.needs_group:
        if not group_id:
            raise field_error(f"{path}.groupId", "is required for this target type")
        if not group_exists(group_id):
            raise field_error(f"{path}.groupId", f"no group {group_id!r} in this tenant")
    return Target(
        kind.odata_type,
        group_id if kind.needs_group else None,
        v.get("deviceAndAppManagementAssignmentFilterId"),
        v.get("deviceAndAppManagementAssignmentFilterType") or "none",
    )


def parse_assign_body(
    body: Mapping[str, Any],
    profile_id: str,
    group_exists: Callable[[str], bool],
    new_id: Callable[[], str],
    *,
    strict: bool = False,
) -> list[Assignment]:
    """The `{"assignments": [...]}` body of `assign`, all checked before any id is drawn."""
    if strict:
        refuse_unknown(body, ["assignments"])
    if "assignments" not in body:
        raise field_error("assignments", "is required")
    items = require_list(body["assignments"], "assignments", max_items=1000)
    parsed: list[tuple[Target, str]] = []
    for i, raw in enumerate(items):
        path = f"assignments[{i}]"
        entry = require_object(raw, path)
        t = entry.get("@odata.type")
        if t is not None and _normalise(str(t)) != ASSIGNMENT_TYPE:
            raise field_error(f"{path}.@odata.type", f"must be {ASSIGNMENT_TYPE}")
        if strict:
            refuse_unknown(entry, ["target", "intent", "id", "source", "sourceId"], path)
        if "target" not in entry:
            raise field_error(f"{path}.target", "is required")
        intent = read_fields([Choice(name="intent", values=INTENTS)], entry, where=path)
        target = parse_target(entry["target"], f"{path}.target", group_exists, strict)
        parsed.append((target, intent.get("intent") or "apply"))
    return [Assignment(new_id(), profile_id, target, intent) for target, intent in parsed]
