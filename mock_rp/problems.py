"""The problem kinds the relying party answers on `/app/*` (besides trust_store's generic ones)."""

from __future__ import annotations

from trust_store.problems import problem_type

ClientCertificateRequired = problem_type(
    "client-certificate-required", 401, "Client certificate required"
)
ClientCertificateUntrusted = problem_type(
    "client-certificate-untrusted", 403, "Client certificate not trusted"
)
CredentialRevoked = problem_type("credential-revoked", 403, "Credential revoked")
CredentialStatusUnknown = problem_type(
    "credential-status-unknown", 403, "Credential status unknown"
)
CredentialStatusUnavailable = problem_type(
    "credential-status-unavailable", 503, "Credential status unavailable"
)
