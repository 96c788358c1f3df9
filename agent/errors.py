"""The agent's error hierarchy. Every failure a tester can see carries a reason to act on."""

from __future__ import annotations

from trust_store.problems import RemoteProblem


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


class IssuerRefusedError(AgentError):
    """A server answered with a problem document."""

    code = "server-refused"

    def __init__(self, problem: RemoteProblem, during: str) -> None:
        super().__init__(f"{during}: {problem}")
        self.problem = problem
        self.during = during
        self.code = problem.kind
