"""Settings of the DISA Purebred server, parsed in one place and injected into `create_apps`.

Purebred serves two listeners (see `app.py`): the enterprise listener (the registration agents'
console, the users' portal, OCSP/CRL) at `public_url`, and the device API on the on-premises
listener at `device_url`, bound to `on_premises_host` (127.0.0.2 by default).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from servicekit.auth import admin_token_from, check_bearer_secret
from servicekit.env import EnvReader, require_positive
from servicekit.webapp import DEFAULT_BODY_LIMIT, body_limit_from

from ..settings import IssuerSettings, PublicUrl, public_url_from

#: DISA Purebred: every one-time passcode must be used within 3 minutes (reference/domain.md).
OTP_LIFETIME = dt.timedelta(minutes=3)
#: The loopback address that stands for the on-premises network (this emulator's choice).
ON_PREMISES_HOST = "127.0.0.2"


def _ip_address(raw: str) -> str:
    return str(ipaddress.ip_address(raw))


@dataclass(frozen=True)
class PurebredSettings:
    #: The card authority (escrow recovery); it must list "purebred" among its escrow clients.
    card_authority_url: PublicUrl = field(default_factory=PublicUrl)
    #: The enterprise listener: console, portal, OCSP/CRL (AIA and CRL DP of issued certs).
    public_url: PublicUrl = field(default_factory=PublicUrl)
    #: The on-premises listener: the device API.
    device_url: PublicUrl = field(default_factory=PublicUrl)
    on_premises_host: str = ON_PREMISES_HOST
    body_limit: int = DEFAULT_BODY_LIMIT
    otp_lifetime: dt.timedelta = OTP_LIFETIME
    #: One-time passcodes are this many decimal digits (this emulator's choice).
    otp_digits: int = 8
    #: How long a pre-enrollment waits for the agent's hash confirmation and the enroll step.
    pre_enrollment_lifetime: dt.timedelta = dt.timedelta(minutes=30)
    #: Validity of the derived certificates; the issuer data's default (1 year) when None.
    credential_lifetime: dt.timedelta | None = None
    session_lifetime: dt.timedelta = dt.timedelta(minutes=15)
    access_token_lifetime: dt.timedelta = dt.timedelta(minutes=30)
    upstream_timeout: dt.timedelta = dt.timedelta(seconds=5)
    #: Registered Purebred agents: UPNs (case-insensitive) or card UUIDs. More may be added
    #: at run time with `POST /admin/agents`.
    registered_agents: frozenset[str] = frozenset()
    #: The lab's admin token, required on `/admin/*` of both listeners (`DCEMU_ADMIN_TOKEN`);
    #: None: the server makes one up from its randomness (`PurebredApps.admin_token`).
    admin_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        check_bearer_secret("admin_token", self.admin_token)
        require_positive(
            otp_lifetime=self.otp_lifetime,
            pre_enrollment_lifetime=self.pre_enrollment_lifetime,
            credential_lifetime=self.credential_lifetime,
            session_lifetime=self.session_lifetime,
            access_token_lifetime=self.access_token_lifetime,
            upstream_timeout=self.upstream_timeout,
        )

    def issuer_settings(self) -> IssuerSettings:
        """The settings of the shared issuer core (sessions, pipeline, escrow, OCSP)."""
        return IssuerSettings(
            card_authority_url=self.card_authority_url,
            public_url=self.public_url,
            body_limit=self.body_limit,
            credential_lifetime=self.credential_lifetime,
            session_lifetime=self.session_lifetime,
            access_token_lifetime=self.access_token_lifetime,
            upstream_timeout=self.upstream_timeout,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> PurebredSettings:
        """Read `DCEMU_PUREBRED_*` variables (unset ones keep their defaults) and the card
        authority URL from `DCEMU_CARD_AUTHORITY_PUBLIC_URL`; a bad value raises
        `SettingsError`."""
        read = EnvReader(env)
        p = "DCEMU_PUREBRED"
        return cls(
            card_authority_url=public_url_from(read, "DCEMU_CARD_AUTHORITY_PUBLIC_URL"),
            public_url=public_url_from(read, f"{p}_PUBLIC_URL"),
            device_url=public_url_from(read, f"{p}_DEVICE_URL"),
            on_premises_host=read.value(
                f"{p}_ON_PREMISES_HOST", ON_PREMISES_HOST, _ip_address, "an IP address"
            ),
            body_limit=body_limit_from(read, f"{p}_BODY_LIMIT"),
            otp_lifetime=read.seconds(f"{p}_OTP_LIFETIME_S", OTP_LIFETIME),
            credential_lifetime=read.seconds(f"{p}_CREDENTIAL_LIFETIME_S", None),
            session_lifetime=read.seconds(f"{p}_SESSION_LIFETIME_S", cls.session_lifetime),
            registered_agents=frozenset(read.csv(f"{p}_AGENTS")),
            admin_token=admin_token_from(read),
        )
