"""Problem kinds that only mock Intune uses (the shared ones live in `trust_store.problems`)."""

from __future__ import annotations

from trust_store.problems import (
    BadRequest,
    Conflict,
    NotFound,
    Problem,
    Unauthorized,
    problem_type,
)

IssuerImmutable = problem_type(
    "issuer-immutable", 400, "The derived-credential issuer is immutable"
)
DerivedCredentialEapType = problem_type(
    "derived-credential-eap-type",
    400,
    "Derived credential needs EAP-TLS, EAP-TTLS or PEAP",
)

__all__ = [
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
