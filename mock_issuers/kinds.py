"""The problem kinds of docs/protocol.md that the issuers and the card authority answer.

The generic ones (`malformed`, `unauthorized`, `not-found`, `too-large`, ...) come from
`trust_store.problems`; these are the card and enrollment kinds, declared once here.
"""

from __future__ import annotations

from trust_store.problems import problem_type

CardRequired = problem_type("card-required", 401, "Smart card required")
CardUntrusted = problem_type("card-untrusted", 403, "Smart card not trusted")
CardRevoked = problem_type("card-revoked", 403, "Smart card revoked")
CardStatusUnavailable = problem_type("card-status-unavailable", 503, "Card status unavailable")
TokenInvalid = problem_type("token-invalid", 404, "Activation token unknown")
TokenUsed = problem_type("token-used", 409, "Activation token already used")
TokenExpired = problem_type("token-expired", 410, "Activation token expired")
PasswordMismatch = problem_type("password-mismatch", 403, "Wrong activation password")
AttemptsExhausted = problem_type("attempts-exhausted", 403, "Too many wrong passwords")
UserMismatch = problem_type("user-mismatch", 403, "Enrollment belongs to another user")
CsrInvalid = problem_type("csr-invalid", 400, "Certificate request refused")
AlreadyIssued = problem_type("already-issued", 409, "Certificate already issued")

# Automatic re-key (MyID): the device authenticates with its current derived credential.
CredentialRequired = problem_type("credential-required", 401, "Derived credential required")
CredentialUntrusted = problem_type("credential-untrusted", 403, "Derived credential not trusted")
CredentialExpired = problem_type("credential-expired", 403, "Derived credential expired")
CredentialRevoked = problem_type("credential-revoked", 403, "Credential revoked")
AlreadyRekeyed = problem_type("already-rekeyed", 409, "Credential already re-keyed")
RekeyNotDue = problem_type("rekey-not-due", 409, "Re-key not due")
