"""OpenAPI pieces the issuers' documents share (the issuers, Purebred's listeners, the card
authority): the device description, PIV-card sign-in problems, the enrollment grant, EST, OCSP
and CRL, revocation, and escrowed key-management keys."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from .openapi import (
    B64,
    BODY_PROBLEMS,
    DER,
    PROBLEM_SCHEMA,
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
    raw_answer,
    raw_body,
    text,
)
from .revocation import CA_CERT_PATH, REVOCATION_REASONS

if TYPE_CHECKING:
    from .issuer.base import Product

CERTS_ONLY = "application/pkcs7-mime; smime-type=certs-only"

#: The device as it describes itself when it activates or pre-enrolls.
DEVICE = obj(
    ["id", "platform", "osVersion", "model"],
    id=text(256),
    platform=text(64),
    osVersion=text(64),
    model=text(128),
)

#: Who signed in with a PIV card (a portal's user, Purebred's agent), as the card says.
CARD_USER = obj(["subject", "cardUuid", "upn"], subject=STRING, cardUuid=STRING, upn=STRING)

#: What signing in with a PIV card (TLS client certificate, chain, OCSP) can fail with.
CARD_SIGN_IN = problems(
    (401, "card-required"), (403, "card-untrusted, card-revoked"), (503, "card-status-unavailable")
)

#: The answer to an activation (or Purebred's enroll): the enrollment and its access token.
ENROLLMENT_GRANT = obj(
    ["enrollment", "accessToken", "expiresAt", "requests"],
    enrollment=STRING,
    accessToken=STRING,
    expiresAt=TIME,
    requests=array(STRING),
)

#: One escrowed key-management key, as PKCS#12 under the caller's password.
KEY_ITEM = obj(
    ["friendlyName", "current", "pkcs12"],
    friendlyName=STRING,
    current={"type": "boolean"},
    pkcs12=B64,
)


def key_items(description: str) -> Json:
    """A JSON answer listing escrowed key-management keys."""
    return json_answer(description, obj(["items"], items=array(KEY_ITEM)))


#: The body of a revocation: an RFC 5280 reason name (unspecified when absent or null).
REVOCATION = obj(reason={"enum": [*sorted(REVOCATION_REASONS), None]})


def revoke_operation(summary: str) -> Json:
    """A lab-control revocation (of an enrollment's or a card's certificates); the body is
    optional."""
    body = json_body(REVOCATION)
    body["required"] = False
    return operation(
        summary,
        {
            "200": json_answer("revoked serials", obj(["revoked"], revoked=array(STRING))),
            **problems(*BODY_PROBLEMS, (404, "not-found")),
        },
        body=body,
        tags=("admin",),
    )


#: One certificate an issuer's CA signed, as `GET /admin/issued` lists it.
ISSUED_ITEM = obj(
    [
        "serial",
        "profile",
        "kind",
        "enrollment",
        "cardUuid",
        "deviceId",
        "current",
        "status",
        "reason",
        "revokedAt",
        "notBefore",
        "notAfter",
    ],
    serial={**STRING, "description": "serial number, hex"},
    profile=STRING,
    kind={**nullable(STRING), "description": "the product (pivAuthentication ...); null: none"},
    enrollment=nullable(STRING),
    cardUuid=nullable(STRING),
    deviceId=nullable(STRING),
    current={"type": "boolean", "description": "its enrollment's current certificate"},
    status={"enum": ["good", "revoked"]},
    reason={"enum": [*sorted(REVOCATION_REASONS), None]},
    revokedAt=nullable(TIME),
    notBefore=TIME,
    notAfter=TIME,
)


def issued_paths() -> dict[str, dict[str, Json]]:
    """`GET /admin/issued` (the issuers and Purebred's enterprise listener)."""
    return {
        "/admin/issued": {
            "get": operation(
                "Everything this issuer's CA signed, in order, with its status (lab control)",
                {
                    "200": json_answer(
                        "the certificates", obj(["issued"], issued=array(ISSUED_ITEM))
                    )
                },
                tags=("admin",),
            )
        }
    }


_RECHECK_RUN = {"type": "object", "description": "one run: when, cards checked, what it revoked"}
_RECHECK = obj(
    ["interval", "lastRun", "nextRun", "runs"],
    interval={"type": "number", "description": "seconds between runs (SP 800-157 re-check)"},
    lastRun=TIME,
    nextRun=TIME,
    runs=array(_RECHECK_RUN),
)


def recheck_paths() -> dict[str, dict[str, Json]]:
    """`/admin/card-recheck`: the periodic re-check of the PIV cards behind live credentials."""
    return {
        "/admin/card-recheck": {
            "get": operation(
                "When the cards behind live credentials were last re-checked, and what it found",
                {"200": json_answer("the re-check", _RECHECK)},
                tags=("admin",),
            ),
            "post": operation(
                "Re-check now: revoke the credentials of every card found terminated",
                {"200": json_answer("this run", _RECHECK_RUN)},
                tags=("admin",),
            ),
        }
    }


def status_paths(certificates: str, ca: str) -> dict[str, dict[str, Json]]:
    """`/ocsp` (POST, and GET with the request in the path) answering for `certificates`,
    `/crl` and `/ca.cer` of `ca`."""
    answer = raw_answer("application/ocsp-response", "DER OCSP response")
    return {
        "/ocsp": {
            "post": operation(
                f"OCSP (RFC 6960) for {certificates}",
                {"200": answer, **problems(*BODY_PROBLEMS)},
                body=raw_body("application/ocsp-request", "DER OCSP request", DER),
            )
        },
        "/ocsp/{request}": {
            "get": operation(
                f"OCSP (RFC 6960 appendix A.1) for {certificates}: the URL-encoded base64 "
                "(or base64url) of the DER request in the path",
                {"200": answer, **problems((400, "malformed"))},
            )
        },
        "/crl": {
            "get": operation(f"CRL of {ca}", {"200": raw_answer("application/pkix-crl", "DER CRL")})
        },
        CA_CERT_PATH: {
            "get": operation(
                f"The certificate of {ca} (AIA caIssuers)",
                {"200": raw_answer("application/pkix-cert", "DER certificate")},
            )
        },
    }


def http_document(server: str, certificates: str, ca: str) -> Json:
    """The OpenAPI document of `server`'s plain-HTTP revocation listener (`revocation.http_app`):
    only the status routes and `/openapi.json`, no admin."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{server}: OCSP, CRL and CA certificate over plain HTTP",
            "version": "1",
            "description": "Read-only; the URLs the certificates' CRL distribution point and "
            "AIA (OCSP, caIssuers) carry.",
        },
        "paths": {
            "/openapi.json": {
                "get": operation(
                    "This document", {"200": json_answer("OpenAPI document", {"type": "object"})}
                )
            },
            **status_paths(certificates, ca),
        },
        "components": {"schemas": {"Problem": PROBLEM_SCHEMA}},
    }


def est_paths(
    products: Iterable[Product], summary: Callable[[Product], str]
) -> dict[str, dict[str, Json]]:
    """EST cacerts and one simpleenroll path per product (bearer: the enrollment's token)."""
    paths: dict[str, dict[str, Json]] = {
        "/.well-known/est/cacerts": {
            "get": operation(
                "Issuing CA and root (EST cacerts)",
                {"200": raw_answer(CERTS_ONLY, "base64 DER PKCS#7 certs-only")},
                tags=("device",),
            )
        },
    }
    for product in products:
        paths[product.est_path] = {
            "post": operation(
                summary(product),
                {
                    "200": raw_answer(CERTS_ONLY, "base64 DER PKCS#7: certificate, issuing CA"),
                    **problems(
                        *BODY_PROBLEMS,
                        (400, "csr-invalid"),
                        (401, "unauthorized"),
                        (403, "card-revoked"),
                        (409, "already-issued"),
                        (503, "card-status-unavailable"),
                    ),
                },
                body=raw_body("application/pkcs10", "base64 DER PKCS#10", B64),
                security="bearer",
                tags=("device",),
            )
        }
    return paths
