"""Settings of the mock servers, parsed in one place and injected into the app factories.

The settings themselves are frozen. The one thing known only after a server binds its port, its
public base URL, lives in a mutable `PublicUrl` holder that the settings carry; handlers read it
at request time, so the lab (or a test) binds first and calls `public_url.set(...)` afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from servicekit.auth import admin_token_from, check_bearer_secret
from servicekit.env import EnvReader, SettingsError, require_positive
from servicekit.webapp import DEFAULT_BODY_LIMIT, body_limit_from


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


class NotifyTargets:
    """The issuers the card authority tells when a card is terminated: each one's base URL
    (where its `/admin/cards/{uuid}/revoke` is; Purebred: its console listener). Mutable like
    `PublicUrl`: the lab fills it once the issuers are bound; empty: nobody is told."""

    def __init__(self, urls: tuple[str, ...] = ()) -> None:
        self._urls: tuple[str, ...] = ()
        self.set(urls)

    def set(self, urls: tuple[str, ...] | list[str]) -> None:
        for url in urls:
            if not url.startswith("https://"):
                raise ValueError(f"issuer URL must be https://, got {url!r}")
        self._urls = tuple(u.rstrip("/") for u in urls)

    def get(self) -> tuple[str, ...]:
        return self._urls

    def __repr__(self) -> str:
        return f"NotifyTargets({self._urls!r})"


#: How often an issuer re-checks the card behind each live derived credential (dcemu's default;
#: `IssuerSettings.card_recheck_interval`). SP 800-157 (2014) section 2.2 requires the PIV
#: Authentication certificate's status to be "re-checked seven (7) calendar days following
#: issuance of the Derived PIV Credential"; SP 800-157r1 section 2 says the derived credentials
#: are invalidated when the PIV identity account is terminated, which issuers learn by
#: monitoring it. dcemu repeats the 7-day check for as long as a credential is live (an
#: approximation; the 2014 wording is marked unverified in the lab's domain notes).
CARD_RECHECK_INTERVAL = dt.timedelta(days=7)


def public_url_from(env: EnvReader, name: str) -> PublicUrl:
    """A `PublicUrl` holder, set from the variable when it is (an https:// URL with a host)."""
    return PublicUrl(env.url(name))


@dataclass(frozen=True)
class CardAuthoritySettings:
    """The agency's PIV card management system."""

    public_url: PublicUrl = field(default_factory=PublicUrl)
    body_limit: int = DEFAULT_BODY_LIMIT
    #: Common names of lab-TLS-root client certificates allowed to recover escrowed keys (the
    #: issuers the lab runs; none by default).
    escrow_clients: frozenset[str] = frozenset()
    #: Earlier key-management keys besides the current one, when a request does not say.
    key_history_default: int = 2
    key_history_max: int = 5
    #: How far apart the earlier key-management certificates' notBefore dates are.
    key_history_spacing: dt.timedelta = dt.timedelta(days=180)
    #: The lab's admin token, required on `/admin/*` (`DCEMU_ADMIN_TOKEN`); None: the server
    #: makes one up from its randomness (`app[SERVER_STATE].admin_token`).
    admin_token: str | None = field(default=None, repr=False)
    #: The issuers told when a card is terminated (`POST <url>/admin/cards/{uuid}/revoke` with
    #: the admin token); the lab fills it after the issuers bind (`DCEMU_CARD_AUTHORITY_NOTIFY`,
    #: comma-separated base URLs).
    notify: NotifyTargets = field(default_factory=NotifyTargets)
    #: Tries per issuer and notification (bounded; failures are recorded, never raised).
    notify_attempts: int = 3
    notify_timeout: dt.timedelta = dt.timedelta(seconds=5)

    def __post_init__(self) -> None:
        check_bearer_secret("admin_token", self.admin_token)
        require_positive(notify_timeout=self.notify_timeout)
        if self.notify_attempts < 1:
            raise SettingsError("notify_attempts", self.notify_attempts, "at least 1")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CardAuthoritySettings:
        """Read `DCEMU_CARD_AUTHORITY_*` variables (unset ones keep their defaults); a bad
        value raises `SettingsError`."""
        read = EnvReader(env)
        return cls(
            public_url=public_url_from(read, "DCEMU_CARD_AUTHORITY_PUBLIC_URL"),
            body_limit=body_limit_from(read, "DCEMU_CARD_AUTHORITY_BODY_LIMIT"),
            escrow_clients=frozenset(read.csv("DCEMU_CARD_AUTHORITY_ESCROW_CLIENTS")),
            admin_token=admin_token_from(read),
            notify=NotifyTargets(read.csv("DCEMU_CARD_AUTHORITY_NOTIFY")),
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
    #: How often the status of the card behind every live derived credential is asked again
    #: (OCSP to the card authority) on the lab clock; a terminated card's credentials are
    #: revoked (`CARD_RECHECK_INTERVAL`, 7 days).
    card_recheck_interval: dt.timedelta = CARD_RECHECK_INTERVAL
    #: The lab's admin token, required on `/admin/*` (`DCEMU_ADMIN_TOKEN`); None: the server
    #: makes one up from its randomness (`app[SERVER_STATE].admin_token`).
    admin_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        check_bearer_secret("admin_token", self.admin_token)
        require_positive(
            token_lifetime=self.token_lifetime,
            credential_lifetime=self.credential_lifetime,
            session_lifetime=self.session_lifetime,
            access_token_lifetime=self.access_token_lifetime,
            upstream_timeout=self.upstream_timeout,
            rekey_before_expiry=self.rekey_before_expiry,
            card_recheck_interval=self.card_recheck_interval,
        )

    @classmethod
    def from_env(cls, prefix: str, env: Mapping[str, str] | None = None) -> IssuerSettings:
        """Read `<prefix>_*` variables, e.g. prefix `DCEMU_ENTRUST`, plus the card authority URL
        from `DCEMU_CARD_AUTHORITY_PUBLIC_URL`; a bad value raises `SettingsError`."""
        read = EnvReader(env)
        return cls(
            card_authority_url=public_url_from(read, "DCEMU_CARD_AUTHORITY_PUBLIC_URL"),
            public_url=public_url_from(read, f"{prefix}_PUBLIC_URL"),
            body_limit=body_limit_from(read, f"{prefix}_BODY_LIMIT"),
            token_lifetime=read.seconds(f"{prefix}_TOKEN_LIFETIME_S", None),
            credential_lifetime=read.seconds(f"{prefix}_CREDENTIAL_LIFETIME_S", None),
            session_lifetime=read.seconds(f"{prefix}_SESSION_LIFETIME_S", cls.session_lifetime),
            rekey_before_expiry=read.days(f"{prefix}_REKEY_BEFORE_EXPIRY_DAYS", None),
            card_recheck_interval=read.days(f"{prefix}_CARD_RECHECK_DAYS", CARD_RECHECK_INTERVAL),
            admin_token=admin_token_from(read),
        )
