"""Crash injection for the agent: die right after the N-th answered request, before the device
has saved what the answer said. `dcemu enroll --crash-after N` kills its own process with
SIGKILL there (a real crash); tests in one process raise `SimulatedCrash` instead and reload the
device from disk. Either way the next run must resume to the same result."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Sequence
from typing import Any

from cryptography import x509

from agent.http import Transport


class SimulatedCrash(BaseException):
    """The agent 'dies' (a BaseException: nothing in the app may catch and handle it)."""


def kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def raise_crash() -> None:
    raise SimulatedCrash


class CrashingTransport(Transport):
    """A transport that calls `die` right after its `after`-th answered request (0: never)."""

    def __init__(
        self,
        anchors: Sequence[x509.Certificate],
        *,
        after: int,
        die: Callable[[], None] = kill_self,
        **kw: Any,
    ) -> None:
        super().__init__(anchors, **kw)
        self.after = after
        self.answered = 0
        self._die = die

    async def request(
        self, method: str, url: str, *, during: str, **kw: Any
    ) -> tuple[int, str, bytes]:
        answer = await super().request(method, url, during=during, **kw)
        self.answered += 1
        if self.answered == self.after:
            self._die()
        return answer
