"""The enrollment of one device, as a transition table of named states and events.

pending --activate--> activated --issue--> activated --issue_last--> issued
pending --cancel--> cancelled          (too many wrong passwords)
issued --rekey--> issued               (automatic re-key: new certificates replace the old)

`expired` is computed (a pending enrollment past its token lifetime), never stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cryptography import x509

from trust_store.clock import isoformat

from .holder import CardHolder


class State(StrEnum):
    PENDING = "pending"
    ACTIVATED = "activated"
    ISSUED = "issued"
    CANCELLED = "cancelled"


class Status(StrEnum):
    """What the portal reports: the state, or `expired` for a pending enrollment too old."""

    PENDING = "pending"
    ACTIVATED = "activated"
    ISSUED = "issued"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class Event(StrEnum):
    ACTIVATE = "activate"
    ISSUE = "issue"
    ISSUE_LAST = "issue_last"
    CANCEL = "cancel"
    REKEY = "rekey"


TRANSITIONS: dict[tuple[State, Event], State] = {
    (State.PENDING, Event.ACTIVATE): State.ACTIVATED,
    (State.PENDING, Event.CANCEL): State.CANCELLED,
    (State.ACTIVATED, Event.ISSUE): State.ACTIVATED,
    (State.ACTIVATED, Event.ISSUE_LAST): State.ISSUED,
    (State.ISSUED, Event.REKEY): State.ISSUED,
}


class TransitionError(RuntimeError):
    """An event that the enrollment's state does not allow (a bug: handlers check first)."""


@dataclass(frozen=True)
class DeviceInfo:
    id: str
    platform: str
    os_version: str
    model: str

    def to_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "platform": self.platform,
            "osVersion": self.os_version,
            "model": self.model,
        }


@dataclass
class Enrollment:
    id: str
    token: str
    password: str | None
    holder: CardHolder
    created_at: dt.datetime
    expires_at: dt.datetime
    #: Certificate kinds this enrollment issues (the issuer's products).
    kinds: tuple[str, ...]
    state: State = State.PENDING
    failed_passwords: int = 0
    device: DeviceInfo | None = None
    access_token: str | None = None
    access_expires_at: dt.datetime | None = None
    #: The current certificate of each kind (a re-key replaces them).
    issued: dict[str, x509.Certificate] = field(default_factory=dict)
    #: How many times the credential was re-keyed.
    generation: int = 0
    #: SHA-256 of the `Idempotency-Key` the device activated with: the same device repeating
    #: its activation (its answer was lost) gets the same authorisation.
    activation_key: str | None = None
    #: The last re-key: why, and the serials it superseded (a repeat gets the same answer).
    last_rekey_reason: str | None = None
    superseded: tuple[int, ...] = ()
    #: The serial of every certificate it issued, current or superseded, in order.
    serials: list[int] = field(default_factory=list)

    def fire(self, event: Event) -> State:
        new = TRANSITIONS.get((self.state, event))
        if new is None:
            raise TransitionError(f"enrollment {self.id}: {event} is not allowed when {self.state}")
        self.state = new
        return new

    def is_expired(self, now: dt.datetime) -> bool:
        return now >= self.expires_at

    def status(self, now: dt.datetime) -> Status:
        if self.state is State.PENDING and self.is_expired(now):
            return Status.EXPIRED
        return Status(self.state.value)

    def activate(
        self,
        device: DeviceInfo,
        access_token: str,
        access_expires: dt.datetime,
        activation_key: str | None = None,
    ) -> None:
        self.fire(Event.ACTIVATE)
        self.activation_key = activation_key
        self.device = device
        self.access_token = access_token
        self.access_expires_at = access_expires

    def record_issued(self, kind: str, cert: x509.Certificate) -> None:
        remaining = set(self.kinds) - set(self.issued) - {kind}
        self.fire(Event.ISSUE if remaining else Event.ISSUE_LAST)
        self.issued[kind] = cert
        self.serials.append(cert.serial_number)

    def is_current(self, cert: x509.Certificate) -> bool:
        return any(c == cert for c in self.issued.values())

    def rekey(self, certs: dict[str, x509.Certificate], reason: str = "") -> list[x509.Certificate]:
        """Replace every certificate at once; return the superseded ones."""
        if set(certs) != set(self.kinds):
            raise TransitionError(f"enrollment {self.id}: a re-key replaces every kind at once")
        self.fire(Event.REKEY)
        old = list(self.issued.values())
        self.issued = dict(certs)
        self.serials.extend(c.serial_number for c in certs.values())
        self.generation += 1
        self.last_rekey_reason = reason
        self.superseded = tuple(c.serial_number for c in old)
        return old

    def summary(self, now: dt.datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status(now).value,
            "expiresAt": isoformat(self.expires_at),
        }

    def snapshot(self) -> tuple[Any, ...]:
        serials = tuple(sorted(c.serial_number for c in self.issued.values()))
        return (self.id, self.state.value, self.failed_passwords, self.generation, serials)
