"""The enrollment of one device as an explicit state machine.

States and events are named; `TRANSITIONS` is the whole table; anything else raises
`InvalidTransitionError`. The machine's progress (state, history, data the next step needs) is a
plain JSON document that the device persists after every transition, so a restarted agent resumes
where it stopped and a report can say where each device stopped and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from trust_store.clock import Clock, isoformat

from .errors import InvalidTransitionError


class State(StrEnum):
    IDLE = "idle"
    #: Intune asked for a derived credential; Company Portal shows the notification.
    REQUESTED = "requested"
    #: The user opened the flow; waiting for the workstation step (smart-card sign-in).
    AWAITING_CODE = "awaiting-code"
    #: The QR code (and password) were captured on the device.
    CODE_CAPTURED = "code-captured"
    #: The issuer accepted the code: the device holds an enrollment authorisation.
    ACTIVATED = "activated"
    KEYS_GENERATED = "keys-generated"
    CERTIFICATES_ISSUED = "certificates-issued"
    INSTALLED = "installed"
    #: The chain of the installed credential validates to a deployed trusted root.
    VALIDATED = "validated"
    #: Profiles that use the credential are applied; the device is done.
    COMPLETE = "complete"
    FAILED = "failed"


class Event(StrEnum):
    CREDENTIAL_REQUESTED = "credential-requested"
    USER_STARTED = "user-started"
    CODE_CAPTURED = "code-captured"
    ACTIVATED = "activated"
    KEYS_GENERATED = "keys-generated"
    CERTIFICATES_ISSUED = "certificates-issued"
    INSTALLED = "installed"
    CHAIN_VALIDATED = "chain-validated"
    PROFILES_APPLIED = "profiles-applied"
    FAILED = "failed"
    RETRY = "retry"
    RENEWAL_DUE = "renewal-due"
    CREDENTIAL_INVALIDATED = "credential-invalidated"
    #: The issuer re-keyed the installed credential in place (MyID automatic re-key).
    REKEYED = "rekeyed"


_ACTIVE = (
    State.REQUESTED,
    State.AWAITING_CODE,
    State.CODE_CAPTURED,
    State.ACTIVATED,
    State.KEYS_GENERATED,
    State.CERTIFICATES_ISSUED,
    State.INSTALLED,
    State.VALIDATED,
)

TRANSITIONS: dict[tuple[State, Event], State] = {
    (State.IDLE, Event.CREDENTIAL_REQUESTED): State.REQUESTED,
    (State.REQUESTED, Event.USER_STARTED): State.AWAITING_CODE,
    (State.AWAITING_CODE, Event.CODE_CAPTURED): State.CODE_CAPTURED,
    (State.CODE_CAPTURED, Event.ACTIVATED): State.ACTIVATED,
    (State.ACTIVATED, Event.KEYS_GENERATED): State.KEYS_GENERATED,
    (State.KEYS_GENERATED, Event.CERTIFICATES_ISSUED): State.CERTIFICATES_ISSUED,
    (State.CERTIFICATES_ISSUED, Event.INSTALLED): State.INSTALLED,
    (State.INSTALLED, Event.CHAIN_VALIDATED): State.VALIDATED,
    (State.VALIDATED, Event.PROFILES_APPLIED): State.COMPLETE,
    # A new credential is needed again: renewal window, or the tenant's issuer was replaced.
    (State.COMPLETE, Event.RENEWAL_DUE): State.REQUESTED,
    (State.COMPLETE, Event.CREDENTIAL_INVALIDATED): State.REQUESTED,
    # The issuer re-keyed the credential with no user step (MyID): still complete.
    (State.COMPLETE, Event.REKEYED): State.COMPLETE,
    # After a final failure the user starts over (a new code from the portal). A retryable
    # failure's RETRY goes back to the state it failed in instead (`EnrollmentMachine.fire`).
    (State.FAILED, Event.RETRY): State.REQUESTED,
    **{(s, Event.FAILED): State.FAILED for s in _ACTIVE},
}

TERMINAL = frozenset({State.COMPLETE, State.FAILED, State.IDLE})


@dataclass
class Step:
    at: str
    event: str
    state: str
    detail: str = ""


@dataclass
class EnrollmentMachine:
    clock: Clock
    state: State = State.IDLE
    history: list[Step] = field(default_factory=list)
    #: Data carried between steps (codes, authorisations, certificate references).
    data: dict[str, Any] = field(default_factory=dict)
    failure: dict[str, Any] | None = None

    def can(self, event: Event) -> bool:
        return (self.state, event) in TRANSITIONS

    def fire(self, event: Event, detail: str = "", **data: Any) -> State:
        target = TRANSITIONS.get((self.state, event))
        if target is None:
            raise InvalidTransitionError(
                f"event {event.value!r} is impossible in state {self.state.value!r}"
            )
        failed_in = self.state
        if event is Event.RETRY and self.retryable:
            assert self.failure is not None
            target = State(self.failure["state"])
        code = data.pop("code", "failed")
        retryable = bool(data.pop("retryable", False))
        self.state = target
        self.data.update(data)
        self.history.append(Step(isoformat(self.clock.now()), event.value, target.value, detail))
        if event is Event.FAILED:
            self.failure = {
                "code": str(code),
                "reason": detail,
                "state": failed_in.value,
                "retryable": retryable,
            }
        elif event is Event.RETRY or target is State.REQUESTED:
            self.failure = None
        return target

    def fail(self, code: str, reason: str, *, retryable: bool = False) -> State:
        """Fail in the current state; a `retryable` failure (the service was briefly
        unavailable) is taken up where it stopped by the next RETRY, a final one from the
        start."""
        return self.fire(Event.FAILED, reason, code=code, retryable=retryable)

    @property
    def retryable(self) -> bool:
        """A failure that the next sync retries by itself."""
        return (
            self.state is State.FAILED
            and self.failure is not None
            and bool(self.failure.get("retryable"))
            and self.failure.get("state") in {s.value for s in _ACTIVE}
        )

    @property
    def active(self) -> bool:
        return self.state in _ACTIVE

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state.value,
            "history": [s.__dict__ for s in self.history],
            "data": self.data,
            "failure": self.failure,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any], clock: Clock) -> EnrollmentMachine:
        return cls(
            clock,
            State(d["state"]),
            [Step(**s) for s in d.get("history", [])],
            dict(d.get("data", {})),
            d.get("failure"),
        )
