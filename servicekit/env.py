"""Settings from the environment, read one way: `EnvReader(env)` turns each variable into a typed
value or raises `SettingsError`, whose message names the variable, the value and what was
expected (`DCEMU_X_DAYS='abc': expected a positive number of days (at most 36525)`).

An unset or blank variable gives the default. Durations and counts must be positive and finite
and stay under a bound (NaN, inf, 1e308, -5 are refused), so a bad setting fails at start-up,
never as a `could not convert string to float` or an overflow deep inside a server.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Callable, Mapping
from typing import TypeVar, overload
from urllib.parse import urlsplit

T = TypeVar("T")

#: The longest duration a setting may name (100 years): longer is a typo, not a lifetime.
MAX_DAYS = 36525
MAX_SECONDS = MAX_DAYS * 86400
#: The largest integer a setting may name when its reader gives no bound of its own.
MAX_INT = 2**31 - 1

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


class SettingsError(ValueError):
    """A setting that cannot be used: `name` (an environment variable, or a settings field),
    the offending `value` and what was `expected`."""

    def __init__(self, name: str, value: object, expected: str) -> None:
        self.name = name
        self.value = value
        self.expected = expected
        super().__init__(f"{name}={value!r}: expected {expected}")


def require_positive(**durations: dt.timedelta | None) -> None:
    """For a settings class's `__post_init__`: each duration that is set must be positive, else
    `SettingsError` naming the field."""
    for name, value in durations.items():
        if value is not None and value <= dt.timedelta(0):
            raise SettingsError(name, value, "a positive duration")


class EnvReader:
    """Typed reads of environment variables (`os.environ` unless given a mapping)."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.env: Mapping[str, str] = os.environ if env is None else env

    def raw(self, name: str) -> str | None:
        """The variable's value without outer spaces; None when unset or blank."""
        value = self.env.get(name)
        if value is None or not value.strip():
            return None
        return value.strip()

    def value(self, name: str, default: T, parse: Callable[[str], T], expected: str) -> T:
        """`parse(value)`, or `default` when unset; a `ValueError` (or `TypeError`,
        `OverflowError`) from `parse` becomes a `SettingsError` saying `expected`."""
        raw = self.raw(name)
        if raw is None:
            return default
        try:
            return parse(raw)
        except (ValueError, TypeError, OverflowError) as e:
            raise SettingsError(name, raw, expected) from e

    def text(self, name: str, default: str) -> str:
        raw = self.raw(name)
        return default if raw is None else raw

    def integer(self, name: str, default: int, *, minimum: int = 1, maximum: int = MAX_INT) -> int:
        """A whole number within minimum..maximum (decimal digits only)."""
        expected = f"an integer from {minimum} to {maximum}"

        def parse(raw: str) -> int:
            if not raw.lstrip("+").isdigit() or not raw.isascii():
                raise ValueError(raw)
            number = int(raw)
            if not minimum <= number <= maximum:
                raise ValueError(raw)
            return number

        return self.value(name, default, parse, expected)

    @overload
    def seconds(self, name: str, default: dt.timedelta) -> dt.timedelta: ...
    @overload
    def seconds(self, name: str, default: None) -> dt.timedelta | None: ...
    def seconds(self, name: str, default: dt.timedelta | None) -> dt.timedelta | None:
        """A positive, finite number of seconds (fractions allowed), at most 100 years."""
        return self._duration(name, default, "seconds", MAX_SECONDS, 1)

    @overload
    def days(self, name: str, default: dt.timedelta) -> dt.timedelta: ...
    @overload
    def days(self, name: str, default: None) -> dt.timedelta | None: ...
    def days(self, name: str, default: dt.timedelta | None) -> dt.timedelta | None:
        """A positive, finite number of days (fractions allowed), at most 100 years."""
        return self._duration(name, default, "days", MAX_DAYS, 86400)

    def _duration(
        self, name: str, default: dt.timedelta | None, unit: str, most: int, unit_seconds: int
    ) -> dt.timedelta | None:
        def parse(raw: str) -> dt.timedelta | None:
            number = float(raw)
            if not (math.isfinite(number) and 0 < number <= most):
                raise ValueError(raw)
            return dt.timedelta(seconds=number * unit_seconds)

        return self.value(name, default, parse, f"a positive number of {unit} (at most {most})")

    def flag(self, name: str, default: bool) -> bool:
        """true/false, yes/no, on/off or 1/0 (any case)."""

        def parse(raw: str) -> bool:
            word = raw.lower()
            if word not in TRUE + FALSE:
                raise ValueError(raw)
            return word in TRUE

        return self.value(name, default, parse, "one of " + ", ".join(TRUE + FALSE))

    @overload
    def url(self, name: str, default: str, *, schemes: tuple[str, ...] = ...) -> str: ...
    @overload
    def url(
        self, name: str, default: None = None, *, schemes: tuple[str, ...] = ...
    ) -> str | None: ...
    def url(
        self, name: str, default: str | None = None, *, schemes: tuple[str, ...] = ("https",)
    ) -> str | None:
        """An absolute URL with one of `schemes` and a host."""

        def parse(raw: str) -> str | None:
            parts = urlsplit(raw)
            if parts.scheme not in schemes or not parts.hostname or any(c.isspace() for c in raw):
                raise ValueError(raw)
            _ = parts.port  # a port out of range or not a number raises ValueError
            return raw

        return self.value(
            name, default, parse, f"an absolute {' or '.join(schemes)} URL with a host"
        )

    def csv(self, name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        """Comma-separated words; spaces and empty items dropped (only commas: `()`)."""
        raw = self.raw(name)
        if raw is None:
            return default
        return tuple(w for w in (w.strip() for w in raw.split(",")) if w)
