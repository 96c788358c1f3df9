"""The problem kinds the agent knows, as one enumeration.

A server answers a refusal with an RFC 9457 problem document whose type is
`urn:dcemu:problem:<kind>`; the transport also turns failures that never reached a server
(unreachable, timed out, TLS refused) into the same vocabulary. Agent code looks a kind up
(`ProblemKind.of(text)`) and compares members, never strings. A kind this enumeration does not
list becomes `ProblemKind.OTHER`; the server's own text stays on the error for the report.

The server-side kinds are those the mock services declare (docs/protocol.md); another service
that speaks the same protocol may add its own, which the agent then treats as final refusals.
"""

from __future__ import annotations

from enum import StrEnum


class ProblemKind(StrEnum):
    # --- failures of the exchange itself (no answer from the server) ------------------------
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    TLS_FAILURE = "tls-failure"
    CONNECTION_LOST = "connection-lost"
    #: The server answered something that is not what the protocol says (not JSON, no field).
    MALFORMED_ANSWER = "malformed-answer"
    # --- generic HTTP refusals ----------------------------------------------------------------
    MALFORMED = "malformed"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not-found"
    METHOD_NOT_ALLOWED = "method-not-allowed"
    CONFLICT = "conflict"
    GONE = "gone"
    TOO_LARGE = "too-large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported-media-type"
    RATE_LIMITED = "rate-limited"
    UNAVAILABLE = "unavailable"
    FAULT_INJECTED = "fault-injected"
    INTERNAL = "internal"
    # --- issuers: card sign-in, activation, issuance --------------------------------------------
    CARD_REQUIRED = "card-required"
    CARD_UNTRUSTED = "card-untrusted"
    CARD_REVOKED = "card-revoked"
    CARD_STATUS_UNAVAILABLE = "card-status-unavailable"
    TOKEN_INVALID = "token-invalid"
    TOKEN_USED = "token-used"
    TOKEN_EXPIRED = "token-expired"
    PASSWORD_MISMATCH = "password-mismatch"
    ATTEMPTS_EXHAUSTED = "attempts-exhausted"
    USER_MISMATCH = "user-mismatch"
    DEVICE_MISMATCH = "device-mismatch"
    CSR_INVALID = "csr-invalid"
    ALREADY_ISSUED = "already-issued"
    # --- automatic re-key (MyID) and the relying party ----------------------------------------
    CREDENTIAL_REQUIRED = "credential-required"
    CREDENTIAL_UNTRUSTED = "credential-untrusted"
    CREDENTIAL_EXPIRED = "credential-expired"
    CREDENTIAL_REVOKED = "credential-revoked"
    ALREADY_REKEYED = "already-rekeyed"
    REKEY_NOT_DUE = "rekey-not-due"
    # --- DISA Purebred ------------------------------------------------------------------------
    OTP_INVALID = "otp-invalid"
    OTP_STEP_MISMATCH = "otp-step-mismatch"
    OTP_USER_MISMATCH = "otp-user-mismatch"
    OTP_USED = "otp-used"
    OTP_EXPIRED = "otp-expired"
    AGENT_NOT_REGISTERED = "agent-not-registered"
    PRE_ENROLLMENT_EXPIRED = "pre-enrollment-expired"
    STEP_OUT_OF_ORDER = "step-out-of-order"
    FINGERPRINT_MISMATCH = "fingerprint-mismatch"
    APPLICANT_NOT_CONFIRMED = "applicant-not-confirmed"
    # --- the relying party --------------------------------------------------------------------
    CLIENT_CERTIFICATE_REQUIRED = "client-certificate-required"
    CLIENT_CERTIFICATE_UNTRUSTED = "client-certificate-untrusted"
    CREDENTIAL_STATUS_UNAVAILABLE = "credential-status-unavailable"
    CREDENTIAL_STATUS_UNKNOWN = "credential-status-unknown"
    # --- mock Intune's device channel ----------------------------------------------------------
    ISSUER_IMMUTABLE = "issuer-immutable"
    # --- OAuth 2.0 token endpoint (Graph client credentials, device authorization) ----------
    INVALID_CLIENT = "invalid-client"
    INVALID_REQUEST = "invalid-request"
    INVALID_SCOPE = "invalid-scope"
    INVALID_TOKEN = "invalid-token"
    UNSUPPORTED_GRANT_TYPE = "unsupported-grant-type"
    DERIVED_CREDENTIAL_EAP_TYPE = "derived-credential-eap-type"
    #: A kind this agent does not know; the error keeps the server's text.
    OTHER = "other"

    @classmethod
    def of(cls, text: str) -> ProblemKind:
        try:
            return cls(text)
        except ValueError:
            return cls.OTHER


#: Kinds that say "try again later": the exchange failed, or the server is briefly unable.
TRANSIENT = frozenset(
    {
        ProblemKind.UNREACHABLE,
        ProblemKind.TIMEOUT,
        ProblemKind.CONNECTION_LOST,
        ProblemKind.RATE_LIMITED,
        ProblemKind.UNAVAILABLE,
        ProblemKind.FAULT_INJECTED,
        ProblemKind.CARD_STATUS_UNAVAILABLE,
        ProblemKind.CREDENTIAL_STATUS_UNAVAILABLE,
    }
)
#: HTTP statuses that are transient whatever the problem kind says (RFC 9110 §15).
TRANSIENT_STATUS = frozenset({408, 429, 502, 503, 504})
