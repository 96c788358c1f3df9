"""The mock Intune server's own settings (not the tenant's derived-credential settings).

Parsed once, here, then injected: nothing else in the package reads the environment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from servicekit.env import EnvReader, SettingsError, require_positive
from servicekit.webapp import DEFAULT_BODY_LIMIT, MIN_BODY_LIMIT, body_limit_from

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
        if self.body_limit < MIN_BODY_LIMIT:
            raise SettingsError("body_limit", self.body_limit, f"at least {MIN_BODY_LIMIT} bytes")
        require_positive(checkin_interval=self.checkin_interval)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServerSettings:
        """Settings from `DCEMU_INTUNE_*` variables; unset ones keep their defaults, a bad value
        raises `SettingsError`."""
        read = EnvReader(environ)
        p = ENV_PREFIX
        return cls(
            name=read.text(f"{p}NAME", cls.name),
            body_limit=body_limit_from(read, f"{p}BODY_LIMIT"),
            checkin_interval=read.seconds(f"{p}CHECKIN_INTERVAL_SECONDS", cls.checkin_interval),
            strict=read.flag(f"{p}STRICT", cls.strict),
            default_help_url=read.url(
                f"{p}DEFAULT_HELP_URL", cls.default_help_url, schemes=("http", "https")
            ),
        )
