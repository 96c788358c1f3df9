"""The Graph app registration (tenant id, client id, client secret) and the access tokens issued
to it, each kept in the service's storage so that a restart changes neither: a script keeps its
credentials and its token stays valid until it expires.

Collections (not tenant data: `POST /admin/reset` leaves them):

| collection | key | record |
|---|---|---|
| `identity` | `graphApp` | the registration in force (settings given win over it at start) |
| `graphTokens` | SHA-256 of a token, hex | `{"expires"}` on the lab clock |
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from dataclasses import dataclass, field

from servicekit.auth import new_secret
from servicekit.storage import MemoryStorage, Storage
from trust_store.clock import isoformat, parse_iso
from trust_store.randomness import Randomness

from .settings import ServerSettings

TOKEN_ROUTE = "/{tenant}/oauth2/v2.0/token"
IDENTITY = "identity"
GRAPH_APP_KEY = "graphApp"
GRAPH_TOKENS = "graphTokens"


@dataclass(frozen=True)
class GraphApp:
    """The app registration allowed to call the Graph API (app-only, client credentials)."""

    tenant_id: str
    client_id: str
    client_secret: str = field(repr=False)

    @property
    def token_path(self) -> str:
        """Where this app gets tokens: `/{tenant_id}/oauth2/v2.0/token`."""
        return TOKEN_ROUTE.replace("{tenant}", self.tenant_id)

    @classmethod
    def from_settings(
        cls, settings: ServerSettings, rand: Randomness, kept: GraphApp | None = None
    ) -> GraphApp:
        """The settings' credentials; each one not given is the `kept` registration's (the one
        stored by an earlier start), or else made up from `rand`."""
        made = rand.child("graph-app")
        tenant_id, client_id, secret = str(made.uuid4()), str(made.uuid4()), new_secret(made)
        if kept is not None:
            tenant_id, client_id, secret = kept.tenant_id, kept.client_id, kept.client_secret
        return cls(
            settings.tenant_id or tenant_id,
            settings.client_id or client_id,
            settings.client_secret or secret,
        )

    def to_record(self) -> dict[str, str]:
        return {
            "tenantId": self.tenant_id,
            "clientId": self.client_id,
            "clientSecret": self.client_secret,
        }

    @classmethod
    def kept_in(cls, storage: Storage) -> GraphApp | None:
        doc = storage.get(IDENTITY, GRAPH_APP_KEY)
        if doc is None:
            return None
        return cls(doc["tenantId"], doc["clientId"], doc["clientSecret"])

    def keep_in(self, storage: Storage) -> None:
        storage.put(IDENTITY, GRAPH_APP_KEY, self.to_record())


class TokenStatus(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class AccessTokens:
    """Bearer tokens for the Graph API: 256 random bits each (from the server's seeded
    randomness), valid for `lifetime` on the lab clock. Only their SHA-256 is kept, in memory
    and in `storage` (read back at start)."""

    def __init__(
        self, lifetime: dt.timedelta, rand: Randomness, storage: Storage | None = None
    ) -> None:
        self.lifetime = lifetime
        self._rand = rand
        self._storage: Storage = storage if storage is not None else MemoryStorage()
        self._expiry: dict[str, dt.datetime] = {
            digest: parse_iso(doc["expires"])
            for digest, doc in self._storage.load(GRAPH_TOKENS).items()
        }

    @staticmethod
    def _digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def issue(self, now: dt.datetime) -> str:
        # Forget tokens long expired (an expired one is still told apart for one lifetime).
        for digest in [d for d, t in self._expiry.items() if t + self.lifetime <= now]:
            del self._expiry[digest]
            self._storage.delete(GRAPH_TOKENS, digest)
        token = new_secret(self._rand)
        digest = self._digest(token)
        self._expiry[digest] = now + self.lifetime
        self._storage.put(GRAPH_TOKENS, digest, {"expires": isoformat(self._expiry[digest])})
        return token

    def check(self, token: str, now: dt.datetime) -> TokenStatus:
        expires = self._expiry.get(self._digest(token))
        if expires is None:
            return TokenStatus.UNKNOWN
        return TokenStatus.VALID if now < expires else TokenStatus.EXPIRED

    def __len__(self) -> int:
        return len(self._expiry)
