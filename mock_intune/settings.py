"""The mock Intune server's own settings (not the tenant's derived-credential settings).

Parsed once, here, then injected: nothing else in the package reads the environment.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass

from servicekit.webapp import DEFAULT_BODY_LIMIT

ENV_PREFIX = "DCEMU_INTUNE_"


@dataclass(frozen=True)
class ServerSettings:
    #: Name in request history and logs.
    name: str = "mock-intune"
    #: Request bodies above this many bytes are refused (413 `too-large`).
    body_limit: int = DEFAULT_BODY_LIMIT
    #: Intune's regular check-in interval; `syncDevice` makes the next check-in due at once.
    checkin_interval: dt.timedelta = dt.timedelta(hours=8)
    #: Refuse unknown properties (400 `malformed`) instead of tolerating and keeping them.
    strict: bool = False
    #: Shown by Company Portal when the tenant's derived-credential settings have no `helpUrl`.
    default_help_url: str = "https://learn.microsoft.com/mem/intune/protect/derived-credentials"

    def __post_init__(self) -> None:
        if self.body_limit < 1024:
            raise ValueError("body_limit must be at least 1024 bytes")
        if self.checkin_interval <= dt.timedelta(0):
            raise ValueError("checkin_interval must be positive")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServerSettings:
        """Settings from `DCEMU_INTUNE_*` variables; unset ones keep their defaults."""
        env = os.environ if environ is None else environ
        d = cls()

        def get(key: str) -> str | None:
            return env.get(ENV_PREFIX + key)

        body_limit, interval, strict = (
            get("BODY_LIMIT"),
            get("CHECKIN_INTERVAL_SECONDS"),
            get("STRICT"),
        )
        return cls(
            name=get("NAME") or d.name,
            body_limit=int(body_limit) if body_limit else d.body_limit,
            checkin_interval=(
                dt.timedelta(seconds=int(interval)) if interval else d.checkin_interval
            ),
            strict=strict.strip().lower() in ("1", "true", "yes", "on") if strict else d.strict,
            default_help_url=get("DEFAULT_HELP_URL") or d.default_help_url,
        )
