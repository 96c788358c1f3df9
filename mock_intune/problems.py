"""Mock Intune's problem catalogue `KINDS`: the generic kinds of `servicekit.problems.GENERIC`
plus the Intune-only ones declared here, and `field_error`."""

from __future__ import annotations

from servicekit.problems import (
    GENERIC,
    BadRequest,
    Conflict,
    NotFound,
    Problem,
    ProblemCatalog,
    Unauthorized,
)

KINDS = ProblemCatalog("mock_intune", GENERIC)

IssuerImmutable = KINDS.declare(
    "issuer-immutable", 400, "The derived-credential issuer is immutable"
)
DerivedCredentialEapType = KINDS.declare(
    "derived-credential-eap-type",
    400,
    "Derived credential needs EAP-TLS, EAP-TTLS or PEAP",
)

__all__ = [
    "KINDS",
    "BadRequest",
    "Conflict",
    "DerivedCredentialEapType",
    "IssuerImmutable",
    "NotFound",
    "Problem",
    "Unauthorized",
    "field_error",
]


def field_error(path: str, detail: str, **extensions: object) -> Problem:
    """A 400 `malformed` problem that names the offending field (`field` extension)."""
    return BadRequest(f"{path}: {detail}", field=path, **extensions)
