"""The relying party's settings, parsed in one place (`from_env`) and injected."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.x509 import ObjectIdentifier

from servicekit.webapp import DEFAULT_BODY_LIMIT
from trust_store.oids import DERIVED_PIV_AUTH

ENV_PREFIX = "DCEMU_RP_"
_TRUE = ("1", "true", "yes", "on")


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

    def __post_init__(self) -> None:
        if self.body_limit < 1024:
            raise ValueError("body_limit must be at least 1024 bytes")
        if self.ocsp_timeout <= dt.timedelta(0):
            raise ValueError("ocsp_timeout must be positive")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RpSettings:
        """Settings from `DCEMU_RP_*` variables; unset ones keep their defaults.

        NAME, BODY_LIMIT, TRUSTED_ISSUERS (comma-separated), REQUIRED_POLICIES (comma-separated
        dotted OIDs), OCSP_REQUIRED (true/false), OCSP_TIMEOUT_S."""
        env = os.environ if environ is None else environ
        d = cls()

        def get(key: str) -> str | None:
            value = env.get(ENV_PREFIX + key)
            return value.strip() if value and value.strip() else None

        issuers, policies = get("TRUSTED_ISSUERS"), get("REQUIRED_POLICIES")
        body_limit, required, timeout = (
            get("BODY_LIMIT"),
            get("OCSP_REQUIRED"),
            get("OCSP_TIMEOUT_S"),
        )
        return cls(
            name=get("NAME") or d.name,
            body_limit=int(body_limit) if body_limit else d.body_limit,
            trusted_issuers=(
                tuple(i.strip() for i in issuers.split(",") if i.strip()) if issuers else ()
            ),
            required_policies=(
                tuple(ObjectIdentifier(p.strip()) for p in policies.split(",") if p.strip())
                if policies
                else d.required_policies
            ),
            ocsp_required=required.lower() in _TRUE if required else d.ocsp_required,
            ocsp_timeout=dt.timedelta(seconds=float(timeout)) if timeout else d.ocsp_timeout,
        )
