"""What the DISA Purebred app refuses, and how it explains Purebred's refusals to the user."""

from __future__ import annotations

from ..errors import EnrollmentError, ServiceRefusedError, UnsupportedError
from ..problems import ProblemKind


class NotOnPremisesError(EnrollmentError):
    code = "not-on-premises"


class PurebredAppMissingError(UnsupportedError):
    code = "purebred-app-missing"


class PurebredAppNotManagedError(UnsupportedError):
    code = "purebred-app-not-managed"


OTP_HINTS = {
    ProblemKind.OTP_EXPIRED: (
        "the one-time passcode has expired (each is valid 3 minutes); ask for a new one"
    ),
    ProblemKind.OTP_USED: "the one-time passcode was already used; ask for a new one",
    ProblemKind.OTP_INVALID: "the one-time passcode is wrong; check the digits",
    ProblemKind.OTP_USER_MISMATCH: "the one-time passcode was issued for another user",
    ProblemKind.OTP_STEP_MISMATCH: "the one-time passcode is for another enrollment step",
}


class OtpRejectedError(ServiceRefusedError):
    """Purebred refused a one-time passcode; `kind` says why (`ProblemKind.OTP_EXPIRED`, ...)."""

    def __init__(self, refused: ServiceRefusedError) -> None:
        super().__init__(refused.problem, refused.during, retry_after=refused.retry_after)
        hint = OTP_HINTS.get(refused.kind, refused.problem.detail)
        self.args = (f"{refused.during}: {hint} [{refused.code}]",)
