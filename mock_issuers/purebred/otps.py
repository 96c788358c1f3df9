"""One-time passcodes: each for one step, bound to one applicant (the card's UUID), valid for
3 minutes from the injected clock, and usable once.

Agents hand out the codes of the first two steps in the console; users generate the codes of
the last two on the portal after their own card sign-in. Checking never changes anything;
`redeem` checks and marks a code used with no `await` in between, so of two concurrent uses of
one code exactly one wins. A step that must await before it knows it succeeded (key recovery
at the card authority) `reserve`s the code first, then `commit`s or `release`s it.

Every code is kept in the server's storage (collection `otps`, by code) with its state, as it
changes. A code stored as reserved belongs to a request that never answered (the server
stopped while it awaited): it is usable again when the server starts.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from trust_store.clock import isoformat, parse_iso
from trust_store.randomness import Randomness

from ..persistence import Storage, storage_or_memory
from .kinds import OtpExpired, OtpInvalid, OtpStepMismatch, OtpUsed, OtpUserMismatch


class OtpStep(StrEnum):
    PRE_ENROLL = "pre-enroll"
    ENROLL = "enroll"
    KEY_MANAGEMENT = "key-management"
    RECOVER = "recover"


#: Who hands out which codes.
AGENT_STEPS = (OtpStep.PRE_ENROLL, OtpStep.ENROLL)
USER_STEPS = (OtpStep.KEY_MANAGEMENT, OtpStep.RECOVER)


class OtpState(StrEnum):
    ISSUED = "issued"
    #: A request is using it right now (it awaits another server); nobody else may.
    RESERVED = "reserved"
    USED = "used"


@dataclass
class Otp:
    code: str
    step: OtpStep
    applicant: uuid.UUID
    issued_by: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    state: OtpState = OtpState.ISSUED
    used_at: dt.datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "otp": self.code,
            "step": self.step.value,
            "applicant": str(self.applicant),
            "expiresAt": isoformat(self.expires_at),
        }

    def snapshot(self) -> tuple[str, str, str]:
        return (self.code, self.step.value, self.state.value)

    def to_doc(self) -> dict[str, Any]:
        return {
            "step": self.step.value,
            "applicant": str(self.applicant),
            "issuedBy": self.issued_by,
            "issuedAt": isoformat(self.issued_at),
            "expiresAt": isoformat(self.expires_at),
            "state": self.state.value,
            "usedAt": None if self.used_at is None else isoformat(self.used_at),
        }

    @classmethod
    def from_doc(cls, code: str, d: dict[str, Any]) -> Otp:
        state = OtpState(d["state"])
        return cls(
            code,
            OtpStep(d["step"]),
            uuid.UUID(d["applicant"]),
            d["issuedBy"],
            parse_iso(d["issuedAt"]),
            parse_iso(d["expiresAt"]),
            OtpState.ISSUED if state is OtpState.RESERVED else state,
            None if d["usedAt"] is None else parse_iso(d["usedAt"]),
        )


OTPS = "otps"


class OtpStore:
    def __init__(self, rand: Randomness, digits: int, storage: Storage | None = None) -> None:
        self.rand = rand
        self.digits = digits
        self.storage = storage_or_memory(storage)
        self._codes = {c: Otp.from_doc(c, d) for c, d in self.storage.load(OTPS).items()}

    def _save(self, otp: Otp) -> None:
        self.storage.put(OTPS, otp.code, otp.to_doc())

    def issue(
        self,
        step: OtpStep,
        applicant: uuid.UUID,
        issued_by: str,
        now: dt.datetime,
        lifetime: dt.timedelta,
    ) -> Otp:
        code = self.rand.digits(self.digits)
        while code in self._codes:  # never hand out a code twice, used or not
            code = self.rand.digits(self.digits)
        otp = Otp(code, step, applicant, issued_by, now, now + lifetime)
        self._codes[code] = otp
        self._save(otp)
        return otp

    def check(self, code: str, step: OtpStep, now: dt.datetime) -> Otp:
        """The code, if it may be used for `step` now; a typed problem otherwise. Whose it is
        the caller checks next with `check_owner` (it knows who is asking)."""
        otp = self._codes.get(code)
        if otp is None:
            raise OtpInvalid("this one-time passcode was never issued; check the digits")
        if otp.step is not step:
            raise OtpStepMismatch(
                f"this one-time passcode is for the {otp.step.value} step, not {step.value}"
            )
        if otp.state is not OtpState.ISSUED:
            raise OtpUsed("this one-time passcode has already been used; ask for a new one")
        if now >= otp.expires_at:
            minutes = (otp.expires_at - otp.issued_at).total_seconds() / 60
            raise OtpExpired(
                f"this one-time passcode has expired (valid {minutes:g} minutes); ask for a new one"
            )
        return otp

    @staticmethod
    def check_owner(otp: Otp, applicant: uuid.UUID) -> None:
        if otp.applicant != applicant:
            raise OtpUserMismatch("this one-time passcode was issued for another user")

    def redeem(self, otp: Otp, now: dt.datetime) -> None:
        """Mark a checked code used (call right after `check`, with no await between)."""
        otp.state = OtpState.USED
        otp.used_at = now
        self._save(otp)

    def reserve(self, otp: Otp) -> None:
        otp.state = OtpState.RESERVED
        self._save(otp)

    def commit(self, otp: Otp, now: dt.datetime) -> None:
        self.redeem(otp, now)

    def release(self, otp: Otp) -> None:
        """The request failed for a reason that is not the code's: it stays usable."""
        if otp.state is OtpState.RESERVED:
            otp.state = OtpState.ISSUED
            self._save(otp)

    def __iter__(self) -> Iterator[Otp]:
        return iter(self._codes.values())

    def __len__(self) -> int:
        return len(self._codes)

    def clear(self) -> None:
        self._codes.clear()
        self.storage.clear(OTPS)
