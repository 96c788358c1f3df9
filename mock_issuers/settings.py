"""Settings of the mock servers, parsed in one place and injected into the app factories.

The settings themselves are frozen. The one thing known only after a server binds its port, its
public base URL, lives in a mutable `PublicUrl` holder that the settings carry; handlers read it
at request time, so the lab (or a test) binds first and calls `public_url.set(...)` afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from servicekit.webapp import DEFAULT_BODY_LIMIT


class PublicUrlNotSet(RuntimeError):
    """A handler needed the server's public URL before the lab set it."""


class PublicUrl:
    """A server's public base URL (`https://host:port`, no trailing slash), set once bound.

    Share one holder between servers that need to reach each other (the issuers' settings take
    the card authority's holder as `card_authority_url`), so start order does not matter.
    """

    def __init__(self, url: str | None = None) -> None:
        self._url: str | None = None
        if url is not None:
            self.set(url)

    def set(self, url: str) -> None:
        if not url.startswith("https://"):
            raise ValueError(f"public URL must be https://, got {url!r}")
        self._url = url.rstrip("/")

    @property
    def is_set(self) -> bool:
        return self._url is not None

    def get(self) -> str:
        if self._url is None:
            raise PublicUrlNotSet("the server's public URL is not set yet (PublicUrl.set)")
        return self._url

    def join(self, path: str) -> str:
        return self.get() + "/" + path.lstrip("/")

    def __repr__(self) -> str:
        return f"PublicUrl({self._url!r})"


def _env_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    return int(raw) if raw else default


def _env_seconds(env: Mapping[str, str], name: str, default: dt.timedelta) -> dt.timedelta:
    raw = env.get(name)
    return dt.timedelta(seconds=float(raw)) if raw else default


def _env_url(env: Mapping[str, str], name: str) -> PublicUrl:
    raw = env.get(name)
    return PublicUrl(raw) if raw else PublicUrl()


@dataclass(frozen=True)
class CardAuthoritySettings:
    """The agency's PIV card management system."""

    public_url: PublicUrl = field(default_factory=PublicUrl)
    body_limit: int = DEFAULT_BODY_LIMIT
    #: Common names of lab-TLS-root client certificates allowed to recover escrowed keys.
    escrow_clients: frozenset[str] = frozenset({"entrust", "intercede"})
    #: Earlier key-management keys besides the current one, when a request does not say.
    key_history_default: int = 2
    key_history_max: int = 5
    #: How far apart the earlier key-management certificates' notBefore dates are.
    key_history_spacing: dt.timedelta = dt.timedelta(days=180)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CardAuthoritySettings:
        """Read `DCEMU_CARD_AUTHORITY_*` variables (unset ones keep their defaults)."""
        env = os.environ if env is None else env
        clients = env.get("DCEMU_CARD_AUTHORITY_ESCROW_CLIENTS")
        return cls(
            public_url=_env_url(env, "DCEMU_CARD_AUTHORITY_PUBLIC_URL"),
            body_limit=_env_int(env, "DCEMU_CARD_AUTHORITY_BODY_LIMIT", DEFAULT_BODY_LIMIT),
            escrow_clients=(
                frozenset(c.strip() for c in clients.split(",") if c.strip())
                if clients
                else cls.escrow_clients
            ),
        )


@dataclass(frozen=True)
class IssuerSettings:
    """One derived-credential issuer server. `None` lifetimes fall back to the issuer's data."""

    #: Base URL of the card authority (escrow recovery); may be the card authority's own holder.
    card_authority_url: PublicUrl = field(default_factory=PublicUrl)
    public_url: PublicUrl = field(default_factory=PublicUrl)
    body_limit: int = DEFAULT_BODY_LIMIT
    #: Activation token (QR code) lifetime; the issuer class's default when None (10 minutes).
    token_lifetime: dt.timedelta | None = None
    #: Validity of the derived certificates; the issuer class's default when None.
    credential_lifetime: dt.timedelta | None = None
    session_lifetime: dt.timedelta = dt.timedelta(minutes=15)
    access_token_lifetime: dt.timedelta = dt.timedelta(minutes=30)
    #: Timeout for the issuer's own calls (OCSP to the card authority, escrow recovery).
    upstream_timeout: dt.timedelta = dt.timedelta(seconds=5)
    #: Automatic re-key window before expiry; the issuer class's default when None (Intercede:
    #: 28 days). Only issuers that re-key automatically accept one.
    rekey_before_expiry: dt.timedelta | None = None

    def __post_init__(self) -> None:
        if self.rekey_before_expiry is not None and self.rekey_before_expiry <= dt.timedelta(0):
            raise ValueError("rekey_before_expiry must be positive")

    @classmethod
    def from_env(cls, prefix: str, env: Mapping[str, str] | None = None) -> IssuerSettings:
        """Read `<prefix>_*` variables, e.g. prefix `DCEMU_ENTRUST`, plus the card authority URL
        from `DCEMU_CARD_AUTHORITY_PUBLIC_URL`."""
        env = os.environ if env is None else env
        token = env.get(f"{prefix}_TOKEN_LIFETIME_S")
        cred = env.get(f"{prefix}_CREDENTIAL_LIFETIME_S")
        rekey = env.get(f"{prefix}_REKEY_BEFORE_EXPIRY_DAYS")
        return cls(
            card_authority_url=_env_url(env, "DCEMU_CARD_AUTHORITY_PUBLIC_URL"),
            public_url=_env_url(env, f"{prefix}_PUBLIC_URL"),
            body_limit=_env_int(env, f"{prefix}_BODY_LIMIT", DEFAULT_BODY_LIMIT),
            token_lifetime=dt.timedelta(seconds=float(token)) if token else None,
            credential_lifetime=dt.timedelta(seconds=float(cred)) if cred else None,
            session_lifetime=_env_seconds(
                env, f"{prefix}_SESSION_LIFETIME_S", dt.timedelta(minutes=15)
            ),
            rekey_before_expiry=dt.timedelta(days=float(rekey)) if rekey else None,
        )
