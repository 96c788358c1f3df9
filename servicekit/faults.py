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
#: At most this many path prefixes, each at most `MAX_PATH_CHARS` long and starting with `/`.
MAX_PATHS = 64
MAX_PATH_CHARS = 1024


@dataclass
class FaultPlan:
    """Deliberate misbehaviour, off by default. `error_rate` and `drop_rate` are 0..1."""

    latency_ms: int = 0
    #: Each affected request waits `latency_ms` plus up to this much more (uniform, seeded).
    jitter_ms: int = 0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    #: Only requests whose path starts with one of these are affected (all when empty).
    paths: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> FaultPlan:
        """The plan of a `PUT /admin/faults` body; `ValueError` naming the field when a value
        has the wrong type or is out of bounds (absent fields keep their defaults)."""
        return cls(
            latency_ms=_integer(d, "latencyMs", 0, MAX_LATENCY_MS),
            jitter_ms=_integer(d, "jitterMs", 0, MAX_LATENCY_MS),
            error_rate=_rate(d, "errorRate"),
            drop_rate=_rate(d, "dropRate"),
            paths=_paths(d),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "latencyMs": self.latency_ms,
            "jitterMs": self.jitter_ms,
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
        if self.latency_ms or self.jitter_ms:
            # Fault latency is the one real wait in the lab: it exists to slow real clients.
            extra = rand.uniform(0, self.jitter_ms) if self.jitter_ms else 0.0
            await asyncio.sleep((self.latency_ms + extra) / 1000)
        if self.drop_rate and rand.token_bytes(1)[0] < self.drop_rate * 256:
            if request.transport is not None:
                request.transport.close()
            raise FaultInjected("connection dropped by fault plan")
        if self.error_rate and rand.token_bytes(1)[0] < self.error_rate * 256:
            raise FaultInjected("request rejected by fault plan", retryable=True)


def _integer(d: dict[str, Any], name: str, lo: int, hi: int) -> int:
    value = d.get(name, 0)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 250.0 is 250 (JSON does not tell integers from floats)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer within {lo}..{hi}")
    return value


def _rate(d: dict[str, Any], name: str) -> float:
    value = d.get(name, 0.0)
    # NaN fails the comparison too.
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a number within 0..1")
    return float(value)


def _paths(d: dict[str, Any]) -> list[str]:
    """A list of path prefixes. A string is refused, not split into characters (`"/"` would have
    become the prefix `/`, matching every path)."""
    value = d.get("paths", [])
    if not isinstance(value, list) or len(value) > MAX_PATHS:
        raise ValueError(f"paths must be a list of at most {MAX_PATHS} path prefixes")
    for p in value:
        if not isinstance(p, str) or not p.startswith("/") or len(p) > MAX_PATH_CHARS:
            raise ValueError(
                f"paths must hold path prefixes starting with '/' (at most {MAX_PATH_CHARS} "
                f"characters), not {p!r:.80}"
            )
    return list(value)
