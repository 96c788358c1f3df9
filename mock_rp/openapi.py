"""The relying party's OpenAPI 3.1 document (served at `GET /openapi.json`)."""

from __future__ import annotations

from typing import Any

from servicekit.openapi import PROBLEM_SCHEMA, shared_paths
from trust_store.problems import PROBLEM_JSON

Json = dict[str, Any]

_PROBLEM_REF: Json = {"$ref": "#/components/schemas/Problem"}
_STRING: Json = {"type": "string"}


def _problems(*answers: tuple[int, str]) -> Json:
    return {
        str(status): {"description": what, "content": {PROBLEM_JSON: {"schema": _PROBLEM_REF}}}
        for status, what in answers
    }


def _json(description: str, schema: Json) -> Json:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


WHOAMI: Json = {
    "type": "object",
    "required": ["subject", "cardUuid", "issuer", "issuerName", "status"],
    "properties": {
        "subject": {**_STRING, "description": "RFC 4514 subject of the client certificate"},
        "commonName": _STRING,
        "cardUuid": {**_STRING, "format": "uuid", "description": "from the SAN URN"},
        "upn": {"type": ["string", "null"]},
        "email": {"type": ["string", "null"]},
        "issuer": {**_STRING, "description": "RFC 4514 issuer of the client certificate"},
        "issuerName": {**_STRING, "description": "the trusted issuer (e.g. entrust)"},
        "serialNumber": {**_STRING, "description": "hexadecimal"},
        "notAfter": {**_STRING, "format": "date-time"},
        "policies": {"type": "array", "items": _STRING},
        "status": {**_STRING, "enum": ["good", "unchecked"]},
        "authenticatedAt": {**_STRING, "format": "date-time"},
    },
}


def openapi_document(name: str) -> Json:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"dcemu relying party ({name})",
            "version": "1",
            "description": "A web app that authenticates users by mutual TLS with their derived "
            "PIV Authentication credential: chain to a trusted derived root with the derived-PIV "
            "policy, card UUID from the SAN, status from the issuer's OCSP responder.",
        },
        "paths": {
            "/app/whoami": {
                "get": {
                    "summary": "The user the client certificate authenticates",
                    "security": [{"derivedPivAuth": []}],
                    "responses": {
                        "200": _json("the authenticated user", WHOAMI),
                        **_problems(
                            (401, "client-certificate-required"),
                            (
                                403,
                                "client-certificate-untrusted, credential-revoked, "
                                "credential-status-unknown",
                            ),
                            (503, "credential-status-unavailable"),
                        ),
                    },
                }
            },
            **shared_paths(),
        },
        "components": {
            "securitySchemes": {
                "derivedPivAuth": {
                    "type": "mutualTLS",
                    "description": "TLS client certificate: a derived PIV Authentication "
                    "certificate (policy 2.16.840.1.101.3.2.1.3.40) of a trusted issuer",
                }
            },
            "schemas": {
                "Problem": PROBLEM_SCHEMA,
                "WhoAmI": WHOAMI,
            },
        },
    }
