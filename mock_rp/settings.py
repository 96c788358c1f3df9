"""The relying party's settings, parsed in one place (`from_env`) and injected."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.x509 import ObjectIdentifier

from servicekit.auth import admin_token_from, check_bearer_secret
from servicekit.env import EnvReader, SettingsError, require_positive
from servicekit.webapp import DEFAULT_BODY_LIMIT, MIN_BODY_LIMIT, body_limit_from
from trust_store.oids import DERIVED_PIV_AUTH

ENV_PREFIX = "DCEMU_RP_"


def _oids(raw: str) -> tuple[ObjectIdentifier, ...]:
    oids = tuple(ObjectIdentifier(p.strip()) for p in raw.split(",") if p.strip())
    if not oids:
        raise ValueError(raw)
    return oids


@dataclass(frozen=True)
class RpSettings:
    #: Name in request history and logs.
    name: str = "mock-rp"
    body_limit: int = DEFAULT_BODY_LIMIT
    #: Derived-credential issuers whose hierarchies are trusted (names of `LabPKI.derived`);
    #: empty: every derived issuer the lab PKI has when the app is created.
    trusted_issuers: tuple[str, ...] = ()
    #: Certificate policies the client certificate must assert (all of them).
    required_policies: tuple[ObjectIdentifier, ...] = (DERIVED_PIV_AUTH,)
    #: Refuse certificates whose AIA names no OCSP responder (status cannot be checked).
    ocsp_required: bool = True
    #: How long to wait for the issuer's OCSP responder.
    ocsp_timeout: dt.timedelta = dt.timedelta(seconds=5)
    #: The lab's admin token, required on `/admin/*` (`DCEMU_ADMIN_TOKEN`); None: the server
    #: makes one up from its randomness (`app[SERVER_STATE].admin_token`).
    admin_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        check_bearer_secret("admin_token", self.admin_token)
        if self.body_limit < MIN_BODY_LIMIT:
            raise SettingsError("body_limit", self.body_limit, f"at least {MIN_BODY_LIMIT} bytes")
        require_positive(ocsp_timeout=self.ocsp_timeout)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RpSettings:
        """Settings from `DCEMU_RP_*` variables; unset ones keep their defaults, a bad value
        raises `SettingsError`.

        NAME, BODY_LIMIT, TRUSTED_ISSUERS (comma-separated), REQUIRED_POLICIES (comma-separated
        dotted OIDs), OCSP_REQUIRED (true/false), OCSP_TIMEOUT_S; and `DCEMU_ADMIN_TOKEN`."""
        read = EnvReader(environ)
        p = ENV_PREFIX
        return cls(
            name=read.text(f"{p}NAME", cls.name),
            body_limit=body_limit_from(read, f"{p}BODY_LIMIT"),
            trusted_issuers=read.csv(f"{p}TRUSTED_ISSUERS"),
            required_policies=read.value(
                f"{p}REQUIRED_POLICIES",
                cls.required_policies,
                _oids,
                "comma-separated dotted OIDs",
            ),
            ocsp_required=read.flag(f"{p}OCSP_REQUIRED", cls.ocsp_required),
            ocsp_timeout=read.seconds(f"{p}OCSP_TIMEOUT_S", cls.ocsp_timeout),
            admin_token=admin_token_from(read),
        )
