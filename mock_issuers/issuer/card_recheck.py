"""The issuer's periodic re-check of the cards behind its live derived credentials (SP 800-157:
a terminated card ends its derived credentials; `settings.CARD_RECHECK_INTERVAL` says where
the 7 days come from).

No background thread or task: every request the issuer handles first asks `due()` (one clock
read); when the lab clock has passed `card_recheck_interval` since the last run, that request
runs the re-check before it is answered (others wait for it, so none is answered from a stale
view), and `POST /admin/card-recheck` runs one at once. For each card with a live credential
(an enrollment holding a certificate its CA has not revoked) the card's PIV Authentication
certificate is asked of its OCSP responder, as at sign-in; a revoked card's credentials are
revoked `cessationOfOperation` (the reason `card_authority.notify` explains). A card whose
status cannot be had keeps its credentials and is tried at the next run. The last runs are kept
(`GET /admin/card-recheck`); the time of the last run is not stored, so a restarted issuer
starts counting again.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web
from cryptography import x509

from trust_store.clock import isoformat

from ..kinds import CardRevoked, CardStatusUnavailable
from .enrollment_state import Enrollment

if TYPE_CHECKING:
    from .service import IssuerService

REASON = x509.ReasonFlags.cessation_of_operation
HISTORY = 50
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class CardRecheck:
    def __init__(self, service: IssuerService) -> None:
        self.service = service
        self.interval = service.settings.card_recheck_interval
        self.last_run = service.clock.now()
        self.runs: deque[dict[str, Any]] = deque(maxlen=HISTORY)
        self._lock = asyncio.Lock()

    def due(self) -> bool:
        return self.service.clock.now() - self.last_run >= self.interval

    async def run_if_due(self) -> None:
        if not self.due():
            return
        async with self._lock:
            if self.due():  # another request may have run it while this one waited
                await self._run()

    async def run(self) -> dict[str, Any]:
        async with self._lock:
            return await self._run()

    def live_by_card(self) -> dict[uuid.UUID, list[Enrollment]]:
        issued = self.service.hierarchy.issuing.issued
        cards: dict[uuid.UUID, list[Enrollment]] = {}
        for e in self.service.enrollments:
            live = any(
                (rec := issued.get(c.serial_number)) is not None and rec.revoked_at is None
                for c in e.issued.values()
            )
            if live:
                cards.setdefault(e.holder.card_uuid, []).append(e)
        return cards

    async def _run(self) -> dict[str, Any]:
        now = self.service.clock.now()
        self.last_run = now
        checked: list[str] = []
        terminated: list[dict[str, Any]] = []
        unavailable: list[dict[str, str]] = []
        for card_uuid, enrollments in self.live_by_card().items():
            checked.append(str(card_uuid))
            try:
                await self.service.verifier.check_status(enrollments[0].holder.card_cert)
            except CardRevoked:
                serials = self.service.revoke(enrollments, REASON)
                terminated.append(
                    {"cardUuid": str(card_uuid), "revoked": [f"{s:x}" for s in serials]}
                )
            except CardStatusUnavailable as e:
                unavailable.append({"cardUuid": str(card_uuid), "detail": e.detail})
        record = {
            "at": isoformat(now),
            "checked": checked,
            "terminated": terminated,
            "unavailable": unavailable,
        }
        self.runs.append(record)
        return record

    def to_json(self) -> dict[str, Any]:
        return {
            "interval": self.interval.total_seconds(),
            "lastRun": isoformat(self.last_run),
            "nextRun": isoformat(self.last_run + self.interval),
            "runs": list(self.runs),
        }


def recheck_middleware(recheck: CardRecheck) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        await recheck.run_if_due()
        return await handler(request)

    return middleware


async def run_recheck(request: web.Request) -> web.Response:
    return web.json_response(await request.app[CARD_RECHECK].run())


async def show_recheck(request: web.Request) -> web.Response:
    return web.json_response(request.app[CARD_RECHECK].to_json())


CARD_RECHECK = web.AppKey("card_recheck", CardRecheck)


def add_card_recheck(app: web.Application, service: IssuerService) -> CardRecheck:
    """The re-check, its middleware (innermost) and its two admin routes."""
    recheck = CardRecheck(service)
    app[CARD_RECHECK] = recheck
    app.middlewares.append(recheck_middleware(recheck))
    app.router.add_post("/admin/card-recheck", run_recheck)
    app.router.add_get("/admin/card-recheck", show_recheck)
    return recheck
