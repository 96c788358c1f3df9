"""The lab's settings: every server's, read once at the entry point (`LabSettings.from_env`) and
injected; a bad `DCEMU_*` value stops the start with a message that names it."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mock_intune.settings import ServerSettings as IntuneSettings
from mock_issuers.settings import CardAuthoritySettings
from mock_rp import RpSettings
from servicekit.auth import admin_token_from, check_bearer_secret
from servicekit.env import EnvReader

from .issuers import ISSUER_PLUGINS, plugin_class


class LabSettingsError(ValueError):
    """A `DCEMU_*` variable has a value the lab cannot use (the message names it)."""


@dataclass(frozen=True)
class LabSettings:
    card_authority: CardAuthoritySettings = field(default_factory=CardAuthoritySettings)
    intune: IntuneSettings = field(default_factory=IntuneSettings)
    rp: RpSettings = field(default_factory=RpSettings)
    #: Server settings per issuer name; an issuer not listed gets its plugin's from an empty
    #: environment (its defaults).
    issuers: Mapping[str, Any] = field(default_factory=dict)
    #: The one admin token of the lab (`DCEMU_ADMIN_TOKEN`), given to every server in place of
    #: their own `admin_token`; None: the lab makes one up from its randomness at start.
    admin_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        check_bearer_secret("admin_token", self.admin_token)

    def issuer(self, name: str) -> Any:
        if name in self.issuers:
            return self.issuers[name]
        return plugin_class(name).settings_from_env({})

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, issuers: Iterable[str] | None = None
    ) -> LabSettings:
        """Every server's settings from `env` (the process environment by default)."""
        env = os.environ if env is None else env
        names = list(ISSUER_PLUGINS) if issuers is None else list(issuers)
        try:
            return cls(
                CardAuthoritySettings.from_env(env),
                IntuneSettings.from_env(env),
                RpSettings.from_env(env),
                {name: plugin_class(name).settings_from_env(env) for name in names},
                admin_token_from(EnvReader(env)),
            )
        except (ValueError, TypeError) as e:
            raise LabSettingsError(str(e)) from e


def read_config(path: Path) -> dict[str, str]:
    """A settings file for `dcemu serve --config`: `DCEMU_NAME=value` lines (blank lines and
    `#` comments allowed), the same variables the environment takes."""
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise LabSettingsError(f"{path}: cannot read the settings file: {e}") from e
    values: dict[str, str] = {}
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or not name.startswith("DCEMU_") or not name.replace("_", "").isalnum():
            raise LabSettingsError(f"{path}:{number}: expected DCEMU_NAME=value, got {raw!r}")
        values[name] = value.strip()
    return values
