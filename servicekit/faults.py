"""Fault plans: pebble-style deliberate misbehaviour (latency, rejected and dropped requests),
off by default, set through `PUT /admin/faults` and applied by the base app's middleware."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from trust_store.randomness import Randomness

from .problems import FaultInjected

#: A plan cannot stall a request for longer than this (a bad setting stays a bounded one).
MAX_LATENCY_MS = 60_000


@dataclass
class FaultPlan:
    """Deliberate misbehaviour, off by default. `error_rate` and `drop_rate` are 0..1."""

    latency_ms: int = 0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    #: Only requests whose path starts with one of these are affected (all when empty).
    paths: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> FaultPlan:
        plan = cls(
            latency_ms=int(d.get("latencyMs", 0)),
            error_rate=float(d.get("errorRate", 0.0)),
            drop_rate=float(d.get("dropRate", 0.0)),
            paths=[str(p) for p in d.get("paths", [])],
        )
        rates_ok = 0 <= plan.error_rate <= 1 and 0 <= plan.drop_rate <= 1  # NaN fails too
        if not (0 <= plan.latency_ms <= MAX_LATENCY_MS and rates_ok):
            raise ValueError(f"latencyMs must be within 0..{MAX_LATENCY_MS} and rates within 0..1")
        return plan

    def to_json(self) -> dict[str, Any]:
        return {
            "latencyMs": self.latency_ms,
            "errorRate": self.error_rate,
            "dropRate": self.drop_rate,
            "paths": self.paths,
        }

    def applies(self, path: str) -> bool:
        return not path.startswith("/admin/") and (
            not self.paths or any(path.startswith(p) for p in self.paths)
        )

    async def apply(self, request: web.Request, rand: Randomness) -> None:
        """Wait, drop or reject `request` as the plan says (nothing when it does not apply)."""
        if not self.applies(request.path):
            return
        if self.latency_ms:
            # Fault latency is the one real wait in the lab: it exists to slow real clients.
            await asyncio.sleep(self.latency_ms / 1000)
        if self.drop_rate and rand.token_bytes(1)[0] < self.drop_rate * 256:
            if request.transport is not None:
                request.transport.close()
            raise FaultInjected("connection dropped by fault plan")
        if self.error_rate and rand.token_bytes(1)[0] < self.error_rate * 256:
            raise FaultInjected("request rejected by fault plan", retryable=True)
