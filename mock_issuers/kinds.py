"""The problem kinds of docs/protocol.md that the issuers and the card authority answer, in the
issuers' own catalogue `KINDS`.

`KINDS` builds on `servicekit.problems.GENERIC` (`malformed`, `unauthorized`, `not-found`,
`too-large`, ...); these are the card, enrollment and re-key kinds, declared here at import.
"""

from __future__ import annotations

from servicekit.problems import GENERIC, ProblemCatalog

KINDS = ProblemCatalog("mock_issuers", GENERIC)

CardRequired = KINDS.declare("card-required", 401, "Smart card required")
CardUntrusted = KINDS.declare("card-untrusted", 403, "Smart card not trusted")
CardRevoked = KINDS.declare("card-revoked", 403, "Smart card revoked")
CardStatusUnavailable = KINDS.declare("card-status-unavailable", 503, "Card status unavailable")
TokenInvalid = KINDS.declare("token-invalid", 404, "Activation token unknown")
TokenUsed = KINDS.declare("token-used", 409, "Activation token already used")
TokenExpired = KINDS.declare("token-expired", 410, "Activation token expired")
PasswordMismatch = KINDS.declare("password-mismatch", 403, "Wrong activation password")
AttemptsExhausted = KINDS.declare("attempts-exhausted", 403, "Too many wrong passwords")
UserMismatch = KINDS.declare("user-mismatch", 403, "Enrollment belongs to another user")
CsrInvalid = KINDS.declare("csr-invalid", 400, "Certificate request refused")
AlreadyIssued = KINDS.declare("already-issued", 409, "Certificate already issued")

# Automatic re-key (MyID): the device authenticates with its current derived credential.
CredentialRequired = KINDS.declare("credential-required", 401, "Derived credential required")
CredentialUntrusted = KINDS.declare("credential-untrusted", 403, "Derived credential not trusted")
CredentialExpired = KINDS.declare("credential-expired", 403, "Derived credential expired")
CredentialRevoked = KINDS.declare("credential-revoked", 403, "Credential revoked")
AlreadyRekeyed = KINDS.declare("already-rekeyed", 409, "Credential already re-keyed")
RekeyNotDue = KINDS.declare("rekey-not-due", 409, "Re-key not due")
