"""The mock Intune server's own settings (not the tenant's derived-credential settings).

Parsed once, here, then injected: nothing else in the package reads the environment.

The Graph API's client credentials (tenant id, client id, client secret) are settings too; each
one not given is made up from the server's seeded randomness when the app is built
(`identity.GraphApp`, readable as `app[GRAPH_APP]`).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from servicekit.auth import admin_token_from, check_bearer_secret
from servicekit.env import EnvReader, SettingsError, require_positive
from servicekit.webapp import DEFAULT_BODY_LIMIT, MIN_BODY_LIMIT, body_limit_from

ENV_PREFIX = "DCEMU_INTUNE_"
#: What the identity platform answers as `expires_in` for an app-only Graph token.
ACCESS_TOKEN_LIFETIME = dt.timedelta(seconds=3599)
#: A tenant named by a domain (`contoso.onmicrosoft.com`) rather than its GUID.
_DOMAIN = re.compile(r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")


def _guid(raw: str) -> str:
    return str(uuid.UUID(raw))


def _tenant(raw: str) -> str:
    try:
        return _guid(raw)
    except ValueError:
        if not _DOMAIN.fullmatch(raw):
            raise
        return raw.lower()


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
    #: The Graph API's app registration (client-credentials grant at
    #: `POST /{tenant_id}/oauth2/v2.0/token`); each one None is made up from the server's
    #: randomness. The tenant is a GUID or a domain; the client id a GUID.
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    #: How long a Graph access token lives on the lab clock (`expires_in`).
    access_token_lifetime: dt.timedelta = ACCESS_TOKEN_LIFETIME
    #: The lab's admin token, required on `/admin/*` (`DCEMU_ADMIN_TOKEN`); None: the server
    #: makes one up from its randomness (`app[SERVER_STATE].admin_token`).
    admin_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.body_limit < MIN_BODY_LIMIT:
            raise SettingsError("body_limit", self.body_limit, f"at least {MIN_BODY_LIMIT} bytes")
        require_positive(
            checkin_interval=self.checkin_interval,
            access_token_lifetime=self.access_token_lifetime,
        )
        check_bearer_secret("admin_token", self.admin_token)
        check_bearer_secret("client_secret", self.client_secret)
        _check("tenant_id", self.tenant_id, _tenant, "a GUID or a domain")
        _check("client_id", self.client_id, _guid, "a GUID")

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
            tenant_id=read.value(f"{p}TENANT_ID", None, _tenant, "a GUID or a domain"),
            client_id=read.value(f"{p}CLIENT_ID", None, _guid, "a GUID"),
            client_secret=_secret(read, f"{p}CLIENT_SECRET"),
            access_token_lifetime=read.seconds(
                f"{p}ACCESS_TOKEN_LIFETIME_S", cls.access_token_lifetime
            ),
            admin_token=admin_token_from(read),
        )


def _check(name: str, value: str | None, parse: Callable[[str], str], expected: str) -> None:
    if value is None:
        return
    try:
        parse(value)
    except ValueError:
        raise SettingsError(name, value, expected) from None


def _secret(read: EnvReader, name: str) -> str | None:
    value = read.raw(name)
    check_bearer_secret(name, value)
    return value
