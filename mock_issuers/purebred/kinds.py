"""The problem kinds the Purebred server adds to docs/protocol.md (section "DISA Purebred"), in
its catalogue `KINDS`.

`KINDS` builds on the issuers' catalogue (`mock_issuers.kinds.KINDS`: the card kinds
`card-required`, `card-untrusted`, ..., the EST kinds `csr-invalid`, `already-issued`), which
builds on the generic kinds of `servicekit.problems.GENERIC`.
"""

from __future__ import annotations

from servicekit.problems import ProblemCatalog

from .. import kinds as issuer_kinds

KINDS = ProblemCatalog("mock_issuers.purebred", issuer_kinds.KINDS)

OtpInvalid = KINDS.declare("otp-invalid", 403, "One-time passcode not recognised")
OtpStepMismatch = KINDS.declare("otp-step-mismatch", 403, "One-time passcode is for another step")
OtpUserMismatch = KINDS.declare("otp-user-mismatch", 403, "One-time passcode is for another user")
OtpUsed = KINDS.declare("otp-used", 409, "One-time passcode already used")
OtpExpired = KINDS.declare("otp-expired", 410, "One-time passcode expired")
AgentNotRegistered = KINDS.declare("agent-not-registered", 403, "Not a registered Purebred agent")
ApplicantNotConfirmed = KINDS.declare(
    "applicant-not-confirmed", 409, "Applicant's identity not confirmed"
)
StepOutOfOrder = KINDS.declare("step-out-of-order", 409, "Enrollment step out of order")
FingerprintMismatch = KINDS.declare(
    "fingerprint-mismatch", 403, "Pre-enrollment fingerprint does not match"
)
DeviceMismatch = KINDS.declare("device-mismatch", 403, "Pre-enrollment belongs to another device")
PreEnrollmentExpired = KINDS.declare("pre-enrollment-expired", 410, "Pre-enrollment expired")
