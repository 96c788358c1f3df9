"""One injectable clock for a whole lab, so scenarios move time instead of sleeping."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Protocol, runtime_checkable

UTC = dt.UTC


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware UTC."""
        ...


@runtime_checkable
class MovableClock(Protocol):
    """A lab clock a tester may move (`POST /admin/time`): forward, or to an instant."""

    def now(self) -> dt.datetime: ...

    def advance(self, delta: dt.timedelta) -> dt.datetime: ...

    def set(self, instant: dt.datetime) -> dt.datetime: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC)


class OffsetClock:
    """Real time plus an offset: the clock of a long-running lab (`dcemu serve`). Moving it
    changes the offset, which `on_change` persists, so a restart keeps the lab's time."""

    def __init__(
        self,
        offset: dt.timedelta = dt.timedelta(0),
        on_change: Callable[[dt.timedelta], None] | None = None,
        source: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.offset = offset
        self._on_change = on_change
        self._source = source or SystemClock().now

    def now(self) -> dt.datetime:
        return self._source() + self.offset

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        if delta < dt.timedelta(0):
            raise ValueError("time does not go backwards")
        return self._move(self.offset + delta)

    def set(self, instant: dt.datetime) -> dt.datetime:
        if instant.tzinfo is None:
            raise ValueError("the instant needs a time zone")
        return self._move(instant - self._source())

    def _move(self, offset: dt.timedelta) -> dt.datetime:
        self.offset = offset
        if self._on_change is not None:
            self._on_change(offset)
        return self.now()


class ManualClock:
    """A clock that only moves when told to. Starts at a given instant (default: real now)."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        start = start or dt.datetime.now(UTC)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start.replace(microsecond=0)

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        if delta < dt.timedelta(0):
            raise ValueError("time does not go backwards")
        self._now += delta
        return self._now

    def set(self, instant: dt.datetime) -> dt.datetime:
        if instant.tzinfo is None:
            raise ValueError("the instant needs a time zone")
        self._now = instant.astimezone(UTC)
        return self._now


def isoformat(t: dt.datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_iso(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(UTC)


#: ISO 8601 durations as `POST /admin/time` takes them: PnW, or PnDTnHnMnS (each part optional).
_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d{1,6})W|(?:(?P<days>\d{1,6})D)?"
    r"(?:T(?:(?P<hours>\d{1,7})H)?(?:(?P<minutes>\d{1,9})M)?(?:(?P<seconds>\d{1,10})S)?)?)$"
)
#: The longest move accepted at once (100 years).
MAX_MOVE = dt.timedelta(days=36525)


def parse_duration(text: str) -> dt.timedelta:
    """`P30D`, `PT12H`, `P1DT2H30M`, `P2W` → a timedelta; anything else (years and months have
    no fixed length) raises ValueError."""
    m = _DURATION.match(text)
    if m is None or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"{text!r} is not an ISO 8601 duration such as P30D or PT12H")
    parts = {k: int(v) for k, v in m.groupdict().items() if v is not None}
    delta = dt.timedelta(**parts)
    if delta > MAX_MOVE:
        raise ValueError(f"{text!r} is longer than 100 years")
    return delta
