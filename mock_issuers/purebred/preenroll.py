"""Pre-enrollment (step 1): the device sends the agent's first one-time passcode, its device
information and a nonce; the server keeps the SHA-256 hash of that request as received and
shows it in the console as a short fingerprint. The device computes the same hash over the
bytes it sent and shows the same fingerprint; the agent compares the two and confirms. The
enroll step (2) must come from the device that knows the nonce.

awaiting-confirmation --confirm--> confirmed --enroll--> enrolled
`expired` is computed (not enrolled yet and past its lifetime), never stored.

Pre-enrollments are kept in the server's storage (collection `pre-enrollments`, by id), with
every field, as each step changes them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from servicekit.problems import NotFound
from trust_store.clock import isoformat, parse_iso
from trust_store.randomness import Randomness

from ..issuer.enrollment_docs import device_from_json
from ..issuer.enrollment_state import DeviceInfo, TransitionError
from ..persistence import Storage, storage_or_memory
from .kinds import DeviceMismatch, FingerprintMismatch, PreEnrollmentExpired, StepOutOfOrder

ID_BYTES = 12
PRE_ENROLLMENTS = "pre-enrollments"
#: The fingerprint is the first 16 hex digits of the hash, in groups of four (emulator's choice).
FINGERPRINT_HEX_DIGITS = 16
FINGERPRINT_GROUP = 4


def request_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def fingerprint(hash_hex: str) -> str:
    """`9F86-D081-884C-7D65`: what the device shows and the agent compares."""
    head = hash_hex[:FINGERPRINT_HEX_DIGITS].upper()
    return "-".join(head[i : i + FINGERPRINT_GROUP] for i in range(0, len(head), FINGERPRINT_GROUP))


def normalise_fingerprint(text: str) -> str:
    """What the agent typed, without separators or case (so `9f86 d081 ...` matches)."""
    return "".join(c for c in text.upper() if c.isalnum())


class PreState(StrEnum):
    AWAITING_CONFIRMATION = "awaiting-confirmation"
    CONFIRMED = "confirmed"
    ENROLLED = "enrolled"


class PreEvent(StrEnum):
    CONFIRM = "confirm"
    ENROLL = "enroll"


TRANSITIONS: dict[tuple[PreState, PreEvent], PreState] = {
    (PreState.AWAITING_CONFIRMATION, PreEvent.CONFIRM): PreState.CONFIRMED,
    (PreState.CONFIRMED, PreEvent.ENROLL): PreState.ENROLLED,
}


@dataclass
class PreEnrollment:
    id: str
    applicant: uuid.UUID
    device: DeviceInfo
    nonce: str
    hash: str
    created_at: dt.datetime
    expires_at: dt.datetime
    state: PreState = PreState.AWAITING_CONFIRMATION
    confirmed_by: str | None = None
    enrollment: str | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.hash)

    def fire(self, event: PreEvent) -> None:
        new = TRANSITIONS.get((self.state, event))
        if new is None:
            raise TransitionError(f"pre-enrollment {self.id}: {event} not allowed in {self.state}")
        self.state = new

    def status(self, now: dt.datetime) -> str:
        if self.state is not PreState.ENROLLED and now >= self.expires_at:
            return "expired"
        return self.state.value

    def check_confirmable(self, typed: str, now: dt.datetime) -> None:
        """What the agent may confirm; raises without changing anything."""
        self._check_alive(now)
        if self.state is not PreState.AWAITING_CONFIRMATION:
            raise StepOutOfOrder(f"this pre-enrollment is already {self.state.value}")
        if not hmac.compare_digest(
            normalise_fingerprint(typed).encode(), normalise_fingerprint(self.fingerprint).encode()
        ):
            raise FingerprintMismatch(
                "the fingerprint does not match the one the server computed for this "
                "pre-enrollment: the device on the desk is not the one that sent it, or it was "
                "misread"
            )

    def check_enrollable(self, nonce: str, now: dt.datetime) -> None:
        if not hmac.compare_digest(nonce.encode(), self.nonce.encode()):
            raise DeviceMismatch("this pre-enrollment was made by another device (nonce differs)")
        if self.state is PreState.ENROLLED:
            raise StepOutOfOrder("this pre-enrollment has already been enrolled")
        self._check_alive(now)
        if self.state is not PreState.CONFIRMED:
            raise StepOutOfOrder(
                "the agent has not confirmed this pre-enrollment's fingerprint yet"
            )

    def _check_alive(self, now: dt.datetime) -> None:
        if now >= self.expires_at:
            raise PreEnrollmentExpired("this pre-enrollment has expired; start again")

    def to_json(self, now: dt.datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status(now),
            "fingerprint": self.fingerprint,
            "hash": self.hash,
            "device": self.device.to_json(),
            "expiresAt": isoformat(self.expires_at),
            "enrollment": self.enrollment,
        }

    def snapshot(self) -> tuple[str, str, str | None]:
        return (self.id, self.state.value, self.confirmed_by)

    def to_doc(self) -> dict[str, Any]:
        return {
            "applicant": str(self.applicant),
            "device": self.device.to_json(),
            "nonce": self.nonce,
            "hash": self.hash,
            "createdAt": isoformat(self.created_at),
            "expiresAt": isoformat(self.expires_at),
            "state": self.state.value,
            "confirmedBy": self.confirmed_by,
            "enrollment": self.enrollment,
        }

    @classmethod
    def from_doc(cls, pre_id: str, d: dict[str, Any]) -> PreEnrollment:
        return cls(
            pre_id,
            uuid.UUID(d["applicant"]),
            device_from_json(d["device"]),
            d["nonce"],
            d["hash"],
            parse_iso(d["createdAt"]),
            parse_iso(d["expiresAt"]),
            PreState(d["state"]),
            d["confirmedBy"],
            d["enrollment"],
        )


class PreEnrollmentStore:
    def __init__(self, rand: Randomness, storage: Storage | None = None) -> None:
        self.rand = rand
        self.storage = storage_or_memory(storage)
        self._by_id = {
            k: PreEnrollment.from_doc(k, d) for k, d in self.storage.load(PRE_ENROLLMENTS).items()
        }

    def _save(self, pre: PreEnrollment) -> None:
        self.storage.put(PRE_ENROLLMENTS, pre.id, pre.to_doc())

    def create(
        self,
        applicant: uuid.UUID,
        device: DeviceInfo,
        nonce: str,
        body: bytes,
        now: dt.datetime,
        lifetime: dt.timedelta,
    ) -> PreEnrollment:
        pre_id = self.rand.token_urlsafe(ID_BYTES)
        while pre_id in self._by_id:
            pre_id = self.rand.token_urlsafe(ID_BYTES)
        pre = PreEnrollment(
            pre_id, applicant, device, nonce, request_hash(body), now, now + lifetime
        )
        self._by_id[pre_id] = pre
        self._save(pre)
        return pre

    def confirm(self, pre: PreEnrollment, agent: str) -> None:
        """The agent confirmed the fingerprint (`check_confirmable` passed)."""
        pre.fire(PreEvent.CONFIRM)
        pre.confirmed_by = agent
        self._save(pre)

    def enrolled(self, pre: PreEnrollment, enrollment_id: str) -> None:
        """The device enrolled under it (`check_enrollable` passed)."""
        pre.fire(PreEvent.ENROLL)
        pre.enrollment = enrollment_id
        self._save(pre)

    def get(self, pre_id: str) -> PreEnrollment:
        pre = self._by_id.get(pre_id)
        if pre is None:
            raise NotFound(f"no pre-enrollment {pre_id!r}")
        return pre

    def of_applicant(self, applicant: uuid.UUID) -> list[PreEnrollment]:
        return [p for p in self._by_id.values() if p.applicant == applicant]

    def __iter__(self) -> Iterator[PreEnrollment]:
        return iter(self._by_id.values())

    def clear(self) -> None:
        self._by_id.clear()
        self.storage.clear(PRE_ENROLLMENTS)
