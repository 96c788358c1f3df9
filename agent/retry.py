"""Retrying what is transient, as a well-made app does: capped exponential backoff with full
jitter (from the device's seeded randomness), honouring the server's `Retry-After`, within a
per-step deadline on the device's clock.

What is transient is the error's to say (`ServiceError.transient`: connection errors, timeouts,
TLS resets, 408, 429, 502, 503, 504 and the kinds that mean "busy"); every other refusal is
final and is not retried. Waiting goes through an injected `Sleep`: `asyncio.sleep` for a real
device, and in a lab with a manual clock a `VirtualSleep` that moves the lab clock instead of
waiting (tests never sleep).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from trust_store.clock import Clock, ManualClock
from trust_store.randomness import Randomness

from .errors import ServiceError

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    #: Tries of one step in a row without progress, the first included.
    attempts: int = 8
    #: The first backoff's ceiling, in seconds; doubled at each try up to `cap`.
    base: float = 0.5
    cap: float = 30.0
    #: How long one step may keep trying, on the device's clock.
    deadline: dt.timedelta = dt.timedelta(minutes=2)

    def delay(self, attempt: int, rand: Randomness, retry_after: float | None) -> float:
        """Seconds to wait before try `attempt + 1` (full jitter; at least `Retry-After`)."""
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        wait = rand.uniform(0.0, ceiling)
        return max(wait, retry_after or 0.0)


#: A policy that never retries (a step fails at its first transient error).
NO_RETRY = RetryPolicy(attempts=1)


@dataclass
class Attempts:
    """How one step is going: tries made and when it started."""

    policy: RetryPolicy
    clock: Clock
    rand: Randomness
    started: dt.datetime
    made: int = 0

    def progressed(self) -> None:
        """The last try saved progress (a certificate arrived): its failures start over."""
        self.made = 0

    def next_delay(self, error: ServiceError) -> float | None:
        """The wait before trying again after `error`, or None when the step must give up
        (a final error, tries used up, or the deadline would pass)."""
        self.made += 1
        if not error.transient or self.made >= self.policy.attempts:
            return None
        delay = self.policy.delay(self.made, self.rand, error.retry_after)
        spent = self.clock.now() - self.started
        if spent + dt.timedelta(seconds=delay) > self.policy.deadline:
            return None
        return delay


class VirtualSleep:
    """Waiting in a lab with a `ManualClock`: the clock moves forward to the end of the wait
    (if nothing moved it further already), then the task yields. Concurrent waits overlap as
    they would in real time instead of adding up."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock

    async def __call__(self, seconds: float) -> None:
        target = self.clock.now() + dt.timedelta(seconds=max(seconds, 0.0))
        await asyncio.sleep(0)
        now = self.clock.now()
        if now < target:
            self.clock.advance(target - now)
        await asyncio.sleep(0)
