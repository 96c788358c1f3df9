"""The one JSON reader of every server: request bodies are parsed here, so what no handler should
ever see is refused once, at the boundary, before any field is read.

Refused (`JsonRefused`, which `servicekit.problems.json_object` answers as 400 `malformed`):

- bytes that are not UTF-8 (RFC 8259 section 8.1: JSON on the wire is UTF-8; `json.loads` would
  otherwise guess UTF-16 or UTF-32 from the first bytes);
- nesting deeper than `MAX_DEPTH` arrays and objects (the C parser recurses, so 10,000 levels
  used to end in a `RecursionError` and a 500);
- `NaN`, `Infinity` and `-Infinity` (not JSON, though Python writes and reads them), numbers
  that overflow a double (`1e999` would read as infinity) and integers of more digits than
  Python converts (`sys.get_int_max_str_digits()`, 4300); every field that holds a number
  bounds it, so a large integer in an unknown property is kept, as unknown properties are;
- lone UTF-16 surrogates in any string or key (`"\\ud800"` is valid JSON text but cannot be
  encoded again: a name, password or UPN holding one broke `.encode()` deep in a handler).

Well-formed surrogate pairs (`"\\ud83d\\ude00"`) decode to one character and are kept.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

#: Arrays and objects nested inside one another; the top-level value is depth 1.
MAX_DEPTH = 32

_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonRefused(ValueError):
    """A body that is not JSON, or JSON that no server reads (see the module docstring)."""


def loads(raw: bytes | str) -> Any:
    """The JSON value of `raw`, or `JsonRefused` saying why it is refused."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise JsonRefused(f"body is not UTF-8: {e}") from None
    else:
        text = raw
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_finite_float)
    except RecursionError:
        raise JsonRefused(f"body is nested deeper than {MAX_DEPTH} arrays or objects") from None
    except JsonRefused:
        raise
    except ValueError as e:  # json.JSONDecodeError, int() past sys.get_int_max_str_digits()
        raise JsonRefused(f"body is not valid JSON: {e}") from None
    check_value(value)
    return value


def check_value(value: Any) -> None:
    """Refuse nesting past `MAX_DEPTH` and strings or keys with lone surrogates; iterative,
    so a value nested deeply by other means than `loads` is refused too, not recursed into."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_string(item)
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise JsonRefused(f"body is nested deeper than {MAX_DEPTH} arrays or objects")
        if isinstance(item, dict):
            for key, member in item.items():
                _check_string(key)
                stack.append((member, depth + 1))
        else:
            stack.extend((member, depth + 1) for member in item)


def has_surrogate(text: str) -> bool:
    """Whether `text` holds a lone UTF-16 surrogate (which no UTF-8 encoder accepts)."""
    return _SURROGATE.search(text) is not None


def _check_string(text: str) -> None:
    if has_surrogate(text):
        raise JsonRefused(
            "body holds a lone UTF-16 surrogate (\\ud800-\\udfff) in a string; "
            "send text that is valid Unicode"
        )


def _constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonRefused(f"number {text[:40]} is too large")
    return value
