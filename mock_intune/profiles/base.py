"""The interface every device-configuration profile type implements, and the registry.

A profile type is a small class keyed by its Graph `@odata.type`. Its differences from other
types are data (platform, fields, relationships) plus at most two small methods: `check` for
rules across fields and `uses_derived_credential`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from ..fields import Field, JsonObject, Text, TextList, object_schema, read_fields
from ..platforms import TRAITS, Platform
from ..problems import field_error

GRAPH_NS = "#microsoft.graph."

#: Properties every `deviceConfiguration` has that an administrator may write.
COMMON_FIELDS: tuple[Field, ...] = (
    Text(name="displayName", required=True, min_length=1, max_length=1000, line=True),
    Text(name="description", max_length=10000),
    TextList(name="roleScopeTagIds", max_items=100),
)
#: Server-maintained properties; ignored on input.
READ_ONLY = frozenset(
    {
        "id",
        "version",
        "createdDateTime",
        "lastModifiedDateTime",
        "supportsScopeTags",
        "@odata.type",
        "@odata.context",
    }
)


@dataclass(frozen=True)
class Reference:
    """A to-many relationship to other profiles, written as `<name>@odata.bind`: a list of
    `deviceConfigurations/{id}` references (relative or absolute URLs)."""

    name: str
    target_types: tuple[str, ...]
    max_items: int = 500

    @property
    def bind_key(self) -> str:
        return f"{self.name}@odata.bind"


class ProfileType:
    odata_type: ClassVar[str]
    platform: ClassVar[Platform]
    fields: ClassVar[tuple[Field, ...]] = ()
    references: ClassVar[tuple[Reference, ...]] = ()

    def check(self, props: Mapping[str, Any]) -> None:
        """Rules across fields; raise a problem. `props` holds the whole (merged) profile."""

    def uses_derived_credential(self, props: Mapping[str, Any]) -> bool:
        return False

    # --- shared behaviour ------------------------------------------------------------------------

    @property
    def all_fields(self) -> tuple[Field, ...]:
        return COMMON_FIELDS + self.fields

    @property
    def known_names(self) -> frozenset[str]:
        return (
            frozenset(f.name for f in self.all_fields)
            | READ_ONLY
            | {r.bind_key for r in self.references}
        )

    def validate(self, merged: Mapping[str, Any]) -> JsonObject:
        """The checked and normalised recognised properties of a whole profile."""
        known = read_fields(self.all_fields, merged)
        self.check({**merged, **known})
        return known

    def schema(self) -> JsonObject:
        s = object_schema(self.all_fields)
        props = {"@odata.type": {"const": self.odata_type}, **s["properties"]}
        for r in self.references:
            props[r.bind_key] = {
                "type": "array",
                "items": {"type": "string", "description": "deviceConfigurations/{id}"},
                "maxItems": r.max_items,
                "writeOnly": True,
            }
        s["properties"] = props
        s["required"] = ["@odata.type", *s["required"]]
        return s


REGISTRY: dict[str, ProfileType] = {}

P = TypeVar("P", bound=type[ProfileType])


def register(cls: P) -> P:
    """Class decorator: make a profile type known by its `@odata.type`, which must belong to
    its platform's type-name family (`platforms.TRAITS`)."""
    if cls.odata_type in REGISTRY:
        raise ValueError(f"profile type {cls.odata_type} registered twice")
    if not TRAITS[cls.platform].owns_profile_type(cls.odata_type):
        raise ValueError(
            f"profile type {cls.odata_type} is not named like a {cls.platform.value} type "
            f"({TRAITS[cls.platform].profile_type_prefix}...)"
        )
    REGISTRY[cls.odata_type] = cls()
    return cls


def normalise_type(value: str) -> str:
    return value if value.startswith("#") else "#" + value


def lookup(value: Any, path: str = "@odata.type") -> ProfileType:
    """The registered type named by an `@odata.type` value, or a 400 naming the field."""
    if not isinstance(value, str):
        raise field_error(
            path, "is required and must name a profile type", allowed=sorted(REGISTRY)
        )
    ptype = REGISTRY.get(normalise_type(value))
    if ptype is None:
        raise field_error(path, f"unsupported profile type {value!r}", allowed=sorted(REGISTRY))
    return ptype
