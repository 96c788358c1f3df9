"""Portal sessions: a bearer token per smart-card sign-in, short-lived, kept in the issuer's
storage (collection `sessions`, or `console-sessions` for Purebred's agents): the cardholder
(their card certificate) and the expiry, by token. Sessions already expired when the issuer
starts are dropped."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from servicekit.problems import Unauthorized
from trust_store.clock import parse_iso
from trust_store.randomness import Randomness

from ..persistence import Storage, storage_or_memory
from .docs import holder_doc, holder_from_doc, time_doc
from .holder import CardHolder

SESSION_TOKEN_BYTES = 32
SESSIONS = "sessions"


@dataclass(frozen=True)
class PortalSession:
    token: str
    holder: CardHolder
    expires_at: dt.datetime


class SessionStore:
    def __init__(
        self,
        rand: Randomness,
        storage: Storage | None = None,
        collection: str = SESSIONS,
        now: dt.datetime | None = None,
    ) -> None:
        self.rand = rand
        self.storage = storage_or_memory(storage)
        self.collection = collection
        self._sessions: dict[str, PortalSession] = {}
        for token, doc in self.storage.load(collection).items():
            expires = parse_iso(doc["expiresAt"])
            if now is not None and now >= expires:
                self.storage.delete(collection, token)
                continue
            self._sessions[token] = PortalSession(token, holder_from_doc(doc["card"]), expires)

    def open(self, holder: CardHolder, now: dt.datetime, lifetime: dt.timedelta) -> PortalSession:
        token = self.rand.token_urlsafe(SESSION_TOKEN_BYTES)
        while token in self._sessions:  # a seeded stream repeats itself after a restart
            token = self.rand.token_urlsafe(SESSION_TOKEN_BYTES)
        session = PortalSession(token, holder, now + lifetime)
        self._sessions[session.token] = session
        self.storage.put(
            self.collection,
            token,
            {"card": holder_doc(holder), "expiresAt": time_doc(session.expires_at)},
        )
        return session

    def lookup(self, token: str, now: dt.datetime) -> PortalSession:
        session = self._sessions.get(token)
        if session is None:
            raise Unauthorized("unknown portal session; sign in with the smart card")
        if now >= session.expires_at:
            raise Unauthorized("the portal session has expired; sign in again")
        return session

    def __len__(self) -> int:
        return len(self._sessions)

    def clear(self) -> None:
        self._sessions.clear()
        self.storage.clear(self.collection)
