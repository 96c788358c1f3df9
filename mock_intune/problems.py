"""Mock Intune's problem catalogue `KINDS`: the generic kinds of `servicekit.problems.GENERIC`
plus the Intune-only ones declared here, and `field_error`.

The identity platform's token errors are kinds too (`invalid-request`, `invalid-client`,
`unsupported-grant-type`, `invalid-scope`: RFC 6749 section 5.2 with dashes), and so is a Graph
call with a wrong or expired token (`invalid-token`); `graph_errors` answers them in the shapes
of the identity platform and of Graph."""

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
InvalidToken = KINDS.declare("invalid-token", 401, "Invalid access token")
# The token endpoint's errors (RFC 6749 section 5.2).
InvalidRequest = KINDS.declare("invalid-request", 400, "Invalid token request")
InvalidClient = KINDS.declare("invalid-client", 401, "Client authentication failed")
UnsupportedGrantType = KINDS.declare("unsupported-grant-type", 400, "Unsupported grant type")
InvalidScope = KINDS.declare("invalid-scope", 400, "Invalid scope")

__all__ = [
    "KINDS",
    "BadRequest",
    "Conflict",
    "DerivedCredentialEapType",
    "InvalidClient",
    "InvalidRequest",
    "InvalidScope",
    "InvalidToken",
    "IssuerImmutable",
    "NotFound",
    "Problem",
    "Unauthorized",
    "UnsupportedGrantType",
    "field_error",
]


def field_error(path: str, detail: str, **extensions: object) -> Problem:
    """A 400 `malformed` problem that names the offending field (`field` extension)."""
    return BadRequest(f"{path}: {detail}", field=path, **extensions)
