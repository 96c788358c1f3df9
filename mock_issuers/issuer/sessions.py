"""Portal sessions: a bearer token per smart-card sign-in, short-lived."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from servicekit.problems import Unauthorized
from trust_store.randomness import Randomness

from .holder import CardHolder

SESSION_TOKEN_BYTES = 32


@dataclass(frozen=True)
class PortalSession:
    token: str
    holder: CardHolder
    expires_at: dt.datetime


class SessionStore:
    def __init__(self, rand: Randomness) -> None:
        self.rand = rand
        self._sessions: dict[str, PortalSession] = {}

    def open(self, holder: CardHolder, now: dt.datetime, lifetime: dt.timedelta) -> PortalSession:
        session = PortalSession(
            self.rand.token_urlsafe(SESSION_TOKEN_BYTES), holder, now + lifetime
        )
        self._sessions[session.token] = session
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
