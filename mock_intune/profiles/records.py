"""Field kinds for structured Graph properties that the shared `fields` module does not cover:
one complex value (`vpnServer`), a list of complex values (`vpnServer[]`,
`androidDeviceOwnerSilentCertificateAccess[]`) and a flags enumeration (`easServices`).

Unknown members of a complex value are kept (readers tolerate unknown fields), and so is its
`@odata.type` annotation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..fields import Field, JsonObject, object_schema, read_fields, require_list, require_object
from ..problems import field_error


def _record(fields: tuple[Field, ...], value: Any, path: str) -> JsonObject:
    obj: Mapping[str, Any] = require_object(value, path)
    return {**obj, **read_fields(fields, obj, where=path)}


@dataclass(frozen=True, kw_only=True)
class Record(Field):
    """One JSON object whose members are themselves declared fields."""

    members: tuple[Field, ...]

    def check(self, value: Any, path: str) -> Any:
        return _record(self.members, value, path)

    def json_schema(self) -> JsonObject:
        return object_schema(self.members)


@dataclass(frozen=True, kw_only=True)
class RecordList(Field):
    """An array of JSON objects of one declared shape."""

    members: tuple[Field, ...]
    max_items: int = 500

    def check(self, value: Any, path: str) -> Any:
        items = require_list(value, path, self.max_items)
        return [_record(self.members, item, f"{path}[{i}]") for i, item in enumerate(items)]

    def json_schema(self) -> JsonObject:
        return {"type": "array", "items": object_schema(self.members), "maxItems": self.max_items}


@dataclass(frozen=True, kw_only=True)
class FlagSet(Field):
    """A Graph flags enumeration: comma-joined member names, e.g. `"email,calendars"`."""

    values: tuple[str, ...]

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            raise field_error(path, "must be a string of comma-joined values")
        members = [v.strip() for v in value.split(",")] if value.strip() else []
        unknown = [m for m in members if m not in self.values]
        if unknown or not members:
            raise field_error(
                path,
                f"unknown value {value!r}; expected comma-joined values of "
                + ", ".join(self.values),
                allowed=list(self.values),
            )
        return ",".join(dict.fromkeys(members))

    def json_schema(self) -> JsonObject:
        return {"type": "string", "description": "comma-joined: " + ", ".join(self.values)}
