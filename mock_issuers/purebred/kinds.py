"""The problem kinds the Purebred server adds to docs/protocol.md (section "DISA Purebred").

The card kinds (`card-required`, `card-untrusted`, ...) and the EST kinds (`csr-invalid`,
`already-issued`) come from `mock_issuers.kinds`; the generic ones from `trust_store.problems`.
"""

from __future__ import annotations

from trust_store.problems import problem_type

OtpInvalid = problem_type("otp-invalid", 403, "One-time passcode not recognised")
OtpStepMismatch = problem_type("otp-step-mismatch", 403, "One-time passcode is for another step")
OtpUserMismatch = problem_type("otp-user-mismatch", 403, "One-time passcode is for another user")
OtpUsed = problem_type("otp-used", 409, "One-time passcode already used")
OtpExpired = problem_type("otp-expired", 410, "One-time passcode expired")
AgentNotRegistered = problem_type("agent-not-registered", 403, "Not a registered Purebred agent")
ApplicantNotConfirmed = problem_type(
    "applicant-not-confirmed", 409, "Applicant's identity not confirmed"
)
StepOutOfOrder = problem_type("step-out-of-order", 409, "Enrollment step out of order")
FingerprintMismatch = problem_type(
    "fingerprint-mismatch", 403, "Pre-enrollment fingerprint does not match"
)
DeviceMismatch = problem_type("device-mismatch", 403, "Pre-enrollment belongs to another device")
PreEnrollmentExpired = problem_type("pre-enrollment-expired", 410, "Pre-enrollment expired")
