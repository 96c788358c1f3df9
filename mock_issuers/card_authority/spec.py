"""The card authority's OpenAPI 3.1 document."""

from __future__ import annotations

from ..openapi import (
    BODY_PROBLEMS,
    COMMON_NAME,
    EMAIL,
    MUTUAL_TLS,
    PEM,
    STRING,
    TIME,
    UPN,
    Json,
    array,
    document,
    json_answer,
    json_body,
    nullable,
    obj,
    operation,
    problems,
    raw_answer,
    text,
)
from ..spec_parts import KEY_ITEM, key_items, revoke_operation, status_paths
from .cards import MAX_PASSWORD

_CARD_REQUEST = obj(
    ["user", "csrs", "p12Password"],
    user=obj(["name", "upn"], name=COMMON_NAME, upn=UPN, email=nullable(EMAIL)),
    csrs=obj(
        ["pivAuthentication", "digitalSignature"],
        pivAuthentication=text(16384, contentEncoding="base64"),
        digitalSignature=text(16384, contentEncoding="base64"),
    ),
    keyManagementHistory={"type": "integer", "minimum": 0, "maximum": 5, "default": 2},
    p12Password=text(MAX_PASSWORD),
)
_CARD = obj(
    ["cardUuid", "puk", "certificates", "keyManagement", "chain"],
    cardUuid={"type": "string", "format": "uuid"},
    puk={
        "type": "string",
        "pattern": "^[0-9]{8}$",
        "description": "the card's PUK (unblocks the PIN); told only in this answer",
    },
    certificates=obj(
        ["pivAuthentication", "digitalSignature"], pivAuthentication=PEM, digitalSignature=PEM
    ),
    keyManagement=array(KEY_ITEM),
    chain=PEM,
)
_CARD_SUMMARY = obj(
    [
        "cardUuid",
        "upn",
        "name",
        "status",
        "reason",
        "issuedAt",
        "notBefore",
        "notAfter",
        "revokedAt",
        "certificates",
    ],
    cardUuid={"type": "string", "format": "uuid"},
    upn=STRING,
    name=STRING,
    status={"enum": ["active", "revoked"]},
    reason=nullable(STRING),
    issuedAt=TIME,
    notBefore=TIME,
    notAfter=TIME,
    revokedAt=nullable(TIME),
    certificates={**array(STRING), "description": "serial numbers (hex) of its certificates"},
)


def openapi_document() -> Json:
    paths: dict[str, dict[str, Json]] = {
        "/admin/cards": {
            "post": operation(
                "Issue a PIV card: certify on-card keys, escrow new key-management keys",
                {
                    "201": json_answer("the card", _CARD),
                    **problems(*BODY_PROBLEMS, (400, "csr-invalid")),
                },
                body=json_body(_CARD_REQUEST),
                tags=("admin",),
            ),
            "get": operation(
                "Every card issued (since the last reset), with its status",
                {"200": json_answer("the cards", obj(["cards"], cards=array(_CARD_SUMMARY)))},
                tags=("admin",),
            ),
        },
        "/admin/cards/{uuid}/revoke": {
            "post": revoke_operation(
                "Revoke every certificate of a card; a terminated card's issuers are told to "
                "revoke its derived credentials (the answer's `notified`)"
            )
        },
        "/admin/notifications": {
            "get": operation(
                "The issuers told of terminated cards: card, issuer, outcome, attempts",
                {
                    "200": json_answer(
                        "the notifications",
                        obj(["notifications"], notifications=array({"type": "object"})),
                    )
                },
                tags=("admin",),
            )
        },
        "/escrow/{uuid}/recover": {
            "post": operation(
                "Recover a card's escrowed key-management keys (registered issuers only)",
                {
                    "200": key_items("keys, newest first"),
                    **problems(
                        *BODY_PROBLEMS,
                        (401, "unauthorized"),
                        (403, "forbidden"),
                        (404, "not-found"),
                    ),
                },
                body=json_body(obj(["password"], password=text(MAX_PASSWORD))),
                security="mutualTLS",
            )
        },
        **status_paths("the card CA", "the card CA"),
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
