"""Declarative field checks for JSON bodies.

A reader lists its fields once; the same list validates input (every error a 400 `malformed`
naming the field) and describes the schema in the OpenAPI document. Enumerations are camelCase
strings and unknown values are refused with the allowed list.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from yarl import URL

from servicekit.text import LINE_PATTERN, line_problem

from .problems import field_error

JsonObject = dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class Field:
    name: str
    required: bool = False
    description: str = ""

    def check(self, value: Any, path: str) -> Any:
        """The accepted (possibly normalised) value, or raise a `malformed` problem."""
        return value

    def json_schema(self) -> JsonObject:
        return {}

    def schema(self) -> JsonObject:
        """The field's JSON Schema; an optional field may also be null (`read_fields`: null
        clears it)."""
        s = self.json_schema()
        if not self.required:
            _allow_null(s)
        if self.description:
            s["description"] = self.description
        return s


def _allow_null(s: JsonObject) -> None:
    kind = s.get("type")
    if isinstance(kind, str):
        s["type"] = [kind, "null"]
    if "enum" in s and None not in s["enum"]:
        s["enum"] = [*s["enum"], None]


@dataclass(frozen=True, kw_only=True)
class Text(Field):
    min_length: int = 0
    max_length: int = 1024
    #: One line of printable text (names, UPNs): no control or format characters, no line
    #: breaks (a trailing newline included), no outer whitespace (`servicekit.text`).
    line: bool = False
    #: A JSON Schema `pattern` the value must match besides (anchored with ^ and $; a line
    #: field's value holds no line break, so Python's `$` means what ECMA-262's does).
    pattern: str | None = None
    #: What a value that does not match `pattern` must be ("a user principal name").
    pattern_means: str = ""
    #: The JSON Schema `format` (the reader checks it, e.g. `date-time`).
    format: str | None = None

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            raise field_error(path, "must be a string")
        if not self.min_length <= len(value) <= self.max_length:
            raise field_error(path, f"length must be within {self.min_length}..{self.max_length}")
        if self.line and value:
            why = line_problem(value, max_chars=self.max_length)
            if why is not None:
                raise field_error(path, why)
        if self.pattern is not None and not re.search(self.pattern, value):
            raise field_error(path, f"must be {self.pattern_means or 'of the documented form'}")
        return value

    def json_schema(self) -> JsonObject:
        s: JsonObject = {
            "type": "string",
            "minLength": self.min_length,
            "maxLength": self.max_length,
        }
        if self.pattern is not None:
            s["pattern"] = self.pattern
        elif self.line:
            s["pattern"] = LINE_PATTERN
        if self.format is not None:
            s["format"] = self.format
        return s


@dataclass(frozen=True, kw_only=True)
class HttpUrl(Field):
    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, str) or len(value) > 2048:
            raise field_error(path, "must be a URL string")
        try:
            url = URL(value)
        except ValueError as e:
            raise field_error(path, f"is not a URL: {e}") from e
        if url.scheme not in ("http", "https") or not url.host:
            raise field_error(path, "must be an absolute http(s) URL")
        return value

    def json_schema(self) -> JsonObject:
        return {"type": "string", "format": "uri"}


@dataclass(frozen=True, kw_only=True)
class Flag(Field):
    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, bool):
            raise field_error(path, "must be true or false")
        return value

    def json_schema(self) -> JsonObject:
        return {"type": "boolean"}


@dataclass(frozen=True, kw_only=True)
class Integer(Field):
    minimum: int = -(2**31)
    maximum: int = 2**31 - 1

    def check(self, value: Any, path: str) -> Any:
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON does not tell 5.0 from 5 (nor does JSON Schema)
        if isinstance(value, bool) or not isinstance(value, int):
            raise field_error(path, "must be an integer")
        if not self.minimum <= value <= self.maximum:
            raise field_error(path, f"must be within {self.minimum}..{self.maximum}")
        return value

    def json_schema(self) -> JsonObject:
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}


@dataclass(frozen=True, kw_only=True)
class Choice(Field):
    """A camelCase enumeration; values outside `values` are refused."""

    values: tuple[str, ...]

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, str) or value not in self.values:
            raise field_error(
                path,
                f"unknown value {value!r}; expected one of {', '.join(self.values)}",
                allowed=list(self.values),
            )
        return value

    def json_schema(self) -> JsonObject:
        return {"type": "string", "enum": list(self.values)}


@dataclass(frozen=True, kw_only=True)
class TextList(Field):
    max_items: int = 500
    max_length: int = 1024
    #: How each item is checked (and described); plain strings of `max_length` when None.
    item: Text | None = None

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, list):
            raise field_error(path, "must be an array of strings")
        if len(value) > self.max_items:
            raise field_error(path, f"at most {self.max_items} items")
        for i, item in enumerate(value):
            if self.item is not None:
                self.item.check(item, f"{path}[{i}]")
            elif not isinstance(item, str) or len(item) > self.max_length:
                raise field_error(f"{path}[{i}]", f"must be a string of at most {self.max_length}")
        return list(value)

    def json_schema(self) -> JsonObject:
        items = (
            self.item.json_schema()
            if self.item is not None
            else {"type": "string", "maxLength": self.max_length}
        )
        return {"type": "array", "items": items, "maxItems": self.max_items}


@dataclass(frozen=True, kw_only=True)
class Base64(Field):
    """Standard (not URL-safe) base64; the stored value stays the string that was sent."""

    def decode(self, value: Any, path: str) -> bytes:
        if not isinstance(value, str):
            raise field_error(path, "must be a base64 string")
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as e:
            raise field_error(path, f"is not standard base64: {e}") from e

    def check(self, value: Any, path: str) -> Any:
        self.decode(value, path)
        return value

    def json_schema(self) -> JsonObject:
        return {"type": "string", "contentEncoding": "base64"}


def join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def read_fields(
    fields: Iterable[Field], body: Mapping[str, Any], *, partial: bool = False, where: str = ""
) -> JsonObject:
    """The recognised fields present in `body`, checked. `null` clears an optional field; a
    required field must be present (unless `partial`) and not null."""
    out: JsonObject = {}
    for f in fields:
        path = join(where, f.name)
        if f.name in body:
            value = body[f.name]
            if value is None:
                if f.required:
                    raise field_error(path, "must not be null")
                out[f.name] = None
            else:
                out[f.name] = f.check(value, path)
        elif f.required and not partial:
            raise field_error(path, "is required")
    return out


def refuse_unknown(body: Mapping[str, Any], known: Iterable[str], where: str = "") -> None:
    """For strict servers: any property not in `known` (annotations aside) is refused."""
    allowed = set(known)
    for key in body:
        if key not in allowed and not key.startswith("@"):
            raise field_error(join(where, key), "unknown property (the server is strict)")


def require_object(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise field_error(path, "must be a JSON object")
    return value


def require_list(value: Any, path: str, max_items: int = 500) -> Sequence[Any]:
    if not isinstance(value, list):
        raise field_error(path, "must be an array")
    if len(value) > max_items:
        raise field_error(path, f"at most {max_items} items")
    return value


def object_schema(fields: Iterable[Field], *, extra: bool = True) -> JsonObject:
    fs = list(fields)
    return {
        "type": "object",
        "properties": {f.name: f.schema() for f in fs},
        "required": [f.name for f in fs if f.required],
        "additionalProperties": extra,
    }
