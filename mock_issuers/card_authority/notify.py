"""Telling the issuers that a card is terminated (MyID documents such a notification: "a trusted
system can notify MyID of changes to the PIV card status", identifying the card by FASC-N or
UUID; dcemu uses the UUID).

When a card is revoked at the card authority, each issuer in `CardAuthoritySettings.notify` gets
`POST <issuer>/admin/cards/{uuid}/revoke` with the lab's admin token and the reason
`cessationOfOperation`: RFC 5280 section 5.3.1 gives it for a certificate "no longer needed for
the purpose for which it was issued" with no suspicion that its key is compromised, which is the
derived credential once its card is gone (its own key is not known to be compromised even when
the card's is; `privilegeWithdrawn` is X.509's reason for a privilege carried *in* the
certificate, which a derived PIV Authentication certificate does not carry).

Best effort: each issuer is tried up to `notify_attempts` times (a refused answer, 4xx, is not
tried again); every outcome is kept in `history` (`GET /admin/notifications`) and returned to
the caller, never raised. The issuers' own periodic re-check catches what a lost notification
missed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

import aiohttp
from cryptography import x509

from trust_store import tls
from trust_store.clock import Clock

from ..settings import CardAuthoritySettings

#: The reason the issuers revoke a terminated card's derived credentials with (see above).
DERIVED_REASON = "cessationOfOperation"
#: How many notifications `GET /admin/notifications` keeps.
HISTORY = 200
BACKOFF_S = 0.05


@dataclass(frozen=True)
class Notification:
    card_uuid: str
    issuer: str
    at: str
    outcome: str  # "delivered" | "failed"
    attempts: int
    status: int | None
    revoked: list[str]
    error: str | None

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["cardUuid"] = d.pop("card_uuid")
        return d


class Notifier:
    def __init__(
        self, settings: CardAuthoritySettings, anchors: list[x509.Certificate], clock: Clock
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._ssl = tls.client_context(anchors)
        self.history: deque[Notification] = deque(maxlen=HISTORY)

    async def card_terminated(self, card_uuid: uuid.UUID, token: str) -> list[Notification]:
        targets = self.settings.notify.get()
        if not targets:
            return []
        timeout = aiohttp.ClientTimeout(total=self.settings.notify_timeout.total_seconds())
        async with aiohttp.ClientSession(timeout=timeout) as session:
            results = await asyncio.gather(
                *(self._tell(session, url, card_uuid, token) for url in targets)
            )
        self.history.extend(results)
        return list(results)

    async def _tell(
        self, session: aiohttp.ClientSession, base: str, card_uuid: uuid.UUID, token: str
    ) -> Notification:
        url = f"{base}/admin/cards/{card_uuid}/revoke"
        body = json.dumps({"reason": DERIVED_REASON}).encode()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        status: int | None = None
        error: str | None = None
        attempts = 0
        for attempt in range(self.settings.notify_attempts):
            attempts = attempt + 1
            try:
                async with session.post(url, data=body, headers=headers, ssl=self._ssl) as resp:
                    status = resp.status
                    raw = await resp.read()
            except (TimeoutError, aiohttp.ClientError, ValueError) as e:
                status, error = None, f"{type(e).__name__}: {e}"
            else:
                if status == 200:
                    return self._record(card_uuid, base, "delivered", attempts, status, raw, None)
                error = f"HTTP {status}: {raw[:200].decode(errors='replace')}"
                if status < 500:
                    break  # refused: sending it again would not help
            if attempts < self.settings.notify_attempts:
                await asyncio.sleep(BACKOFF_S * 2**attempt)
        return self._record(card_uuid, base, "failed", attempts, status, b"", error)

    def _record(
        self,
        card_uuid: uuid.UUID,
        issuer: str,
        outcome: str,
        attempts: int,
        status: int | None,
        raw: bytes,
        error: str | None,
    ) -> Notification:
        revoked: list[str] = []
        if raw:
            try:
                doc = json.loads(raw)
                revoked = [str(s) for s in doc.get("revoked", [])]
            except (ValueError, AttributeError):
                pass
        at = self.clock.now().astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        return Notification(str(card_uuid), issuer, at, outcome, attempts, status, revoked, error)
