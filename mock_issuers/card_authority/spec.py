"""The card authority's OpenAPI 3.1 document."""

from __future__ import annotations

from ..openapi import (
    B64,
    MUTUAL_TLS,
    PEM,
    STRING,
    Json,
    array,
    document,
    json_answer,
    json_body,
    obj,
    operation,
    problems,
    raw_answer,
    raw_body,
)

_KEY_ITEM = obj(
    ["friendlyName", "current", "pkcs12"],
    friendlyName=STRING,
    current={"type": "boolean"},
    pkcs12=B64,
)
_COMMON = ((400, "malformed"), (413, "too-large"), (415, "unsupported-media-type"))

_CARD_REQUEST = obj(
    ["user", "csrs", "p12Password"],
    user=obj(["name", "upn"], name=STRING, upn=STRING, email=STRING),
    csrs=obj(
        ["pivAuthentication", "digitalSignature"], pivAuthentication=B64, digitalSignature=B64
    ),
    keyManagementHistory={"type": "integer", "minimum": 0, "maximum": 5, "default": 2},
    p12Password=STRING,
)
_CARD = obj(
    ["cardUuid", "certificates", "keyManagement", "chain"],
    cardUuid={"type": "string", "format": "uuid"},
    certificates=obj(
        ["pivAuthentication", "digitalSignature"], pivAuthentication=PEM, digitalSignature=PEM
    ),
    keyManagement=array(_KEY_ITEM),
    chain=PEM,
)


def openapi_document() -> Json:
    paths: dict[str, dict[str, Json]] = {
        "/admin/cards": {
            "post": operation(
                "Issue a PIV card: certify on-card keys, escrow new key-management keys",
                {"201": json_answer("the card", _CARD), **problems(*_COMMON, (400, "csr-invalid"))},
                body=json_body(_CARD_REQUEST),
                tags=("admin",),
            )
        },
        "/admin/cards/{uuid}/revoke": {
            "post": operation(
                "Revoke every certificate of a card",
                {
                    "200": json_answer("revoked serials", obj(["revoked"], revoked=array(STRING))),
                    **problems(*_COMMON, (404, "not-found")),
                },
                body=json_body(obj(reason=STRING)),
                tags=("admin",),
            )
        },
        "/escrow/{uuid}/recover": {
            "post": operation(
                "Recover a card's escrowed key-management keys (registered issuers only)",
                {
                    "200": json_answer(
                        "keys, newest first", obj(["items"], items=array(_KEY_ITEM))
                    ),
                    **problems(
                        *_COMMON, (401, "unauthorized"), (403, "forbidden"), (404, "not-found")
                    ),
                },
                body=json_body(obj(["password"], password=STRING)),
                security="mutualTLS",
            )
        },
        "/ocsp": {
            "post": operation(
                "OCSP (RFC 6960) for the card CA",
                {
                    "200": raw_answer("application/ocsp-response", "DER OCSP response"),
                    **problems(*_COMMON),
                },
                body=raw_body("application/ocsp-request", "DER OCSP request"),
            )
        },
        "/crl": {
            "get": operation(
                "CRL of the card CA", {"200": raw_answer("application/pkix-crl", "DER CRL")}
            )
        },
        "/cacerts": {
            "get": operation(
                "Card CA and PIV root",
                {"200": raw_answer("application/pem-certificate-chain", "PEM chain")},
            )
        },
    }
    return document(
        "dcemu card authority",
        "The agency's PIV card management system: cards, key escrow, OCSP and CRL.",
        paths,
        {"mutualTLS": MUTUAL_TLS},
    )
