"""The agent's error hierarchy. Every failure a tester can see carries a reason to act on."""

from __future__ import annotations

from trust_store.errors import NoTrustedRootError, TrustStoreError
from trust_store.problems import RemoteProblem

from .problems import TRANSIENT, TRANSIENT_STATUS, ProblemKind


class AgentError(Exception):
    """Base of every agent error."""

    #: Short machine-readable name for reports.
    code = "agent-error"


class CardError(AgentError):
    code = "card-error"


class PinIncorrectError(CardError):
    code = "pin-incorrect"

    def __init__(self, remaining: int) -> None:
        super().__init__(f"PIN incorrect; {remaining} tries left before the card locks")
        self.remaining = remaining


class CardLockedError(CardError):
    code = "card-locked"


class PinRequiredError(CardError):
    code = "pin-required"


class CameraError(AgentError):
    code = "camera-error"


class CameraBlockedError(CameraError):
    code = "camera-blocked"


class NoCodeFoundError(CameraError):
    code = "no-code-found"


class EnrollmentError(AgentError):
    code = "enrollment-error"


class InvalidTransitionError(EnrollmentError):
    code = "invalid-transition"


class UnsupportedError(AgentError):
    """The platform, issuer or profile combination is not supported (with the reason)."""

    code = "unsupported"


class ProfileError(AgentError):
    code = "profile-error"


class ServiceError(AgentError):
    """Talking to a service (issuer, Intune, relying party, card authority) failed: it refused
    (a problem document), or the exchange itself failed (unreachable, timed out, TLS, connection
    lost, an answer the protocol does not allow). The one error family the transport raises.

    `kind` is the enumerated problem kind; `code` is the text a report shows (the server's own
    kind when the enumeration does not know it); `transient` says whether trying again later
    may succeed; `retry_after` is the server's `Retry-After` in seconds, when it sent one."""

    def __init__(
        self,
        kind: ProblemKind,
        detail: str,
        during: str,
        *,
        code: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{during}: {detail}")
        self.kind = kind
        self.during = during
        self.detail = detail
        self.code = code or kind.value
        self.status = status
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        return self.kind in TRANSIENT or (self.status is not None and self.status in TRANSIENT_STATUS)


class ServiceRefusedError(ServiceError):
    """A service answered with an error status and (usually) a problem document."""

    def __init__(
        self, problem: RemoteProblem, during: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(
            ProblemKind.of(problem.kind),
            str(problem),
            during,
            code=problem.kind,
            status=problem.status,
            retry_after=retry_after,
        )
        self.problem = problem


class ServiceUnreachableError(ServiceError):
    """No connection: nothing listens there, the host is down, or the name does not resolve."""


class ServiceTimeoutError(ServiceError):
    """The service did not answer in time."""


class TlsFailureError(ServiceError):
    """The TLS handshake failed (server certificate not trusted, client certificate refused)."""


class ConnectionLostError(ServiceError):
    """The connection broke before the whole answer arrived."""


class MalformedAnswerError(ServiceError):
    """The service answered 2xx with something the protocol does not allow."""

    def __init__(self, detail: str, during: str) -> None:
        super().__init__(ProblemKind.MALFORMED_ANSWER, detail, during)


def trust_failure_code(e: TrustStoreError) -> str:
    """The failure code a report shows for a chain that does not validate."""
    return "no-trusted-root" if isinstance(e, NoTrustedRootError) else "chain-invalid"
