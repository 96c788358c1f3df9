"""The OpenAPI paths of automatic re-key (issuers with `rekey_before_expiry`: Intercede MyID),
merged into the issuer's document by the app factory."""

from __future__ import annotations

from ..openapi import (
    B64,
    BODY_PROBLEMS,
    COMMON_NAME,
    EMAIL,
    STRING,
    TIME,
    Json,
    array,
    json_answer,
    json_body,
    nullable,
    obj,
    operation,
    problems,
    text,
)
from .base import Issuer
from .reissue import MAX_CSR_B64

_CREDENTIAL_REFUSALS = (
    (401, "credential-required"),
    (403, "credential-untrusted, credential-expired, credential-revoked"),
)


def rekey_paths(issuer: Issuer) -> dict[str, dict[str, Json]]:
    """Automatic re-key (issuers with `rekey_before_expiry`: Intercede MyID)."""
    if not issuer.auto_rekey:
        return {}
    kinds = [p.kind for p in issuer.products]
    status = obj(
        ["enrollment", "rekeyDue", "reason", "notAfter", "rekeyAt", "requests"],
        enrollment=STRING,
        rekeyDue={"type": "boolean"},
        reason={"enum": ["expiry", "subject-changed", None]},
        notAfter=TIME,
        rekeyAt=TIME,
        requests=array(STRING),
    )
    # One base64 DER value per product kind: the CSRs asked with, the certificates answered.
    per_kind = obj(kinds, **{k: B64 for k in kinds})
    csrs = {
        **obj(kinds, **{k: text(MAX_CSR_B64, contentEncoding="base64") for k in kinds}),
        "additionalProperties": False,
    }
    answer = obj(
        ["enrollment", "reason", "certificates", "revoked"],
        enrollment=STRING,
        reason={"enum": ["expiry", "subject-changed"]},
        certificates=per_kind,
        revoked=array(STRING),
    )
    person = obj(
        ["upn", "name", "email", "changedAt", "subject", "rekeyDue"],
        upn=STRING,
        name=STRING,
        email=STRING,
        changedAt=TIME,
        subject=STRING,
        rekeyDue=array(STRING),
    )
    return {
        "/device/v1/credential/updates": {
            "get": operation(
                "Whether the credential presented by mutual TLS is due for re-key, and why",
                {
                    "200": json_answer("re-key status", status),
                    **problems(*_CREDENTIAL_REFUSALS, (409, "already-rekeyed")),
                },
                security="mutualTLS",
                tags=("device",),
            )
        },
        "/device/v1/credential/rekey": {
            "post": operation(
                "Re-key: new certificates (each base64 DER PKCS#7 certs-only) for new device "
                "keys; the superseded ones are revoked. Single use per credential.",
                {
                    "200": json_answer("re-keyed", answer),
                    **problems(
                        *BODY_PROBLEMS,
                        (400, "csr-invalid"),
                        *_CREDENTIAL_REFUSALS,
                        (403, "card-revoked"),
                        (409, "already-rekeyed, rekey-not-due"),
                        (503, "card-status-unavailable"),
                    ),
                },
                body=json_body(obj(["csrs"], csrs=csrs)),
                security="mutualTLS",
                tags=("device",),
            )
        },
        "/admin/people/{upn}": {
            "post": operation(
                "Change a person's name (DN common name) or email: their credentials become "
                "due for re-key (lab control)",
                {
                    "200": json_answer("person", person),
                    **problems(*BODY_PROBLEMS, (404, "not-found")),
                },
                body=json_body(
                    {
                        **obj(name=nullable(COMMON_NAME), email=nullable(EMAIL)),
                        "anyOf": [
                            {"required": ["name"], "properties": {"name": {"type": "string"}}},
                            {"required": ["email"], "properties": {"email": {"type": "string"}}},
                        ],
                    }
                ),
                tags=("admin",),
            )
        },
    }
