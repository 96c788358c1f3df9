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
from typing import Any

import aiohttp

from trust_store.clock import Clock, ManualClock
from trust_store.randomness import Randomness

from .errors import ServiceError, ServiceRefusedError, ServiceUnreachableError
from .http import Transport

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


def safe_to_resend(error: ServiceError) -> bool:
    """Whether a request can be sent again as it is: the server said "not now" before doing
    anything (a transient refusal: 429, 503, ...) or was never reached. A timeout or a
    connection lost mid-answer is ambiguous (the server may have committed): that is for the
    step to retry, whose requests are idempotent."""
    if isinstance(error, ServiceRefusedError | ServiceUnreachableError):
        return error.transient
    return False


class RetryingTransport(Transport):
    """A device's view of the shared transport: each request refused for now or never
    delivered is sent again after a backoff (`RetryPolicy`), on the device's clock and random
    stream. Shares the base transport's session; closing it closes nothing."""

    def __init__(
        self,
        base: Transport,
        policy: RetryPolicy,
        clock: Clock,
        rand: Randomness,
        sleep: Sleep,
        on_retry: Callable[[ServiceError, float], None],
    ) -> None:
        # No super().__init__: the TLS context and the session are the base's.
        self.base = base
        self.anchors = base.anchors
        self.ssl = base.ssl
        self.policy = policy
        self.clock = clock
        self.rand = rand
        self._sleep = sleep
        self._on_retry = on_retry

    @property
    def session(self) -> aiohttp.ClientSession:
        return self.base.session

    async def close(self) -> None:
        return None

    async def request(
        self, method: str, url: str, *, during: str, **kw: Any
    ) -> tuple[int, str, bytes]:
        attempts = Attempts(self.policy, self.clock, self.rand, self.clock.now())
        while True:
            try:
                return await self.base.request(method, url, during=during, **kw)
            except ServiceError as e:
                delay = attempts.next_delay(e) if safe_to_resend(e) else None
                if delay is None:
                    raise
                self._on_retry(e, delay)
                await self._sleep(delay)
