"""The relying party's problem catalogue `KINDS`: the generic kinds of
`servicekit.problems.GENERIC` plus those it answers on `/app/*`, declared here."""

from __future__ import annotations

from servicekit.problems import GENERIC, ProblemCatalog

KINDS = ProblemCatalog("mock_rp", GENERIC)

ClientCertificateRequired = KINDS.declare(
    "client-certificate-required", 401, "Client certificate required"
)
ClientCertificateUntrusted = KINDS.declare(
    "client-certificate-untrusted", 403, "Client certificate not trusted"
)
CredentialRevoked = KINDS.declare("credential-revoked", 403, "Credential revoked")
CredentialStatusUnknown = KINDS.declare(
    "credential-status-unknown", 403, "Credential status unknown"
)
CredentialStatusUnavailable = KINDS.declare(
    "credential-status-unavailable", 503, "Credential status unavailable"
)
