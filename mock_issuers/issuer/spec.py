"""An issuer's OpenAPI 3.1 document, built from its data (password or not, products)."""

from __future__ import annotations

from ..openapi import (
    B64,
    BEARER,
    MUTUAL_TLS,
    STRING,
    TIME,
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
from .base import Issuer

_BODY = ((400, "malformed"), (413, "too-large"), (415, "unsupported-media-type"))
_KEY_ITEM = obj(
    ["friendlyName", "current", "pkcs12"],
    friendlyName=STRING,
    current={"type": "boolean"},
    pkcs12=B64,
)
_CERTS_ONLY = "application/pkcs7-mime; smime-type=certs-only"


def _portal(issuer: Issuer) -> dict[str, dict[str, Json]]:
    enrollment_required = ["id", "expiresAt", "qr"] + (
        ["password"] if issuer.password_required else []
    )
    summary = obj(
        ["id", "status", "expiresAt"],
        id=STRING,
        status={"enum": ["pending", "activated", "issued", "expired", "cancelled"]},
        expiresAt=TIME,
    )
    return {
        "/portal/session": {
            "post": operation(
                "Sign in with the PIV card (TLS client certificate); checks chain and OCSP",
                {
                    "201": json_answer(
                        "portal session",
                        obj(
                            ["session", "user", "expiresAt"],
                            session=STRING,
                            user=obj(
                                ["subject", "cardUuid", "upn"],
                                subject=STRING,
                                cardUuid=STRING,
                                upn=STRING,
                            ),
                            expiresAt=TIME,
                        ),
                    ),
                    **problems(
                        (401, "card-required"),
                        (403, "card-untrusted, card-revoked"),
                        (503, "card-status-unavailable"),
                    ),
                },
                security="mutualTLS",
                tags=("portal",),
            )
        },
        "/portal/enrollments": {
            "post": operation(
                "Request a derived credential: a single-use activation token shown as a QR code",
                {
                    "201": json_answer(
                        "enrollment",
                        obj(
                            enrollment_required,
                            id=STRING,
                            expiresAt=TIME,
                            qr=STRING,
                            password={"type": "string", "pattern": "^[0-9]+$"},
                        ),
                    ),
                    **problems(*_BODY, (401, "unauthorized")),
                },
                body=json_body(obj()),
                security="bearer",
                tags=("portal",),
            )
        },
        "/portal/enrollments/{id}": {
            "get": operation(
                "Enrollment status (own enrollments only)",
                {
                    "200": json_answer("status", summary),
                    **problems((401, "unauthorized"), (404, "not-found")),
                },
                security="bearer",
                tags=("portal",),
            )
        },
        "/portal/enrollments/{id}/qr.png": {
            "get": operation(
                f"QR code with the text {issuer.qr_prefix}<token>",
                {
                    "200": raw_answer("image/png", "PNG image"),
                    **problems((401, "unauthorized"), (404, "not-found")),
                },
                security="bearer",
                tags=("portal",),
            )
        },
    }


def _device(issuer: Issuer) -> dict[str, dict[str, Json]]:
    activation_required = ["token", "upn", "device"] + (
        ["password"] if issuer.password_required else []
    )
    device = obj(
        ["id", "platform", "osVersion", "model"],
        id=STRING,
        platform=STRING,
        osVersion=STRING,
        model=STRING,
    )
    paths: dict[str, dict[str, Json]] = {
        "/device/v1/activations": {
            "post": operation(
                "Redeem the scanned activation token (single use)",
                {
                    "201": json_answer(
                        "activated",
                        obj(
                            ["enrollment", "accessToken", "expiresAt", "requests"],
                            enrollment=STRING,
                            accessToken=STRING,
                            expiresAt=TIME,
                            requests=array(STRING),
                        ),
                    ),
                    **problems(
                        *_BODY,
                        (403, "password-mismatch, attempts-exhausted, user-mismatch"),
                        (404, "token-invalid"),
                        (409, "token-used"),
                        (410, "token-expired"),
                    ),
                },
                body=json_body(
                    obj(
                        activation_required,
                        token=STRING,
                        password=STRING,
                        upn=STRING,
                        device=device,
                    )
                ),
                tags=("device",),
            )
        },
        "/.well-known/est/cacerts": {
            "get": operation(
                "Issuing CA and root (EST cacerts)",
                {"200": raw_answer(_CERTS_ONLY, "base64 DER PKCS#7 certs-only")},
                tags=("device",),
            )
        },
    }
    for product in issuer.products:
        paths[product.est_path] = {
            "post": operation(
                f"EST simpleenroll: the derived {product.kind} certificate (once per enrollment)",
                {
                    "200": raw_answer(_CERTS_ONLY, "base64 DER PKCS#7: certificate, issuing CA"),
                    **problems(
                        *_BODY,
                        (400, "csr-invalid"),
                        (401, "unauthorized"),
                        (403, "card-revoked"),
                        (409, "already-issued"),
                        (503, "card-status-unavailable"),
                    ),
                },
                body=raw_body("application/pkcs10", "base64 DER PKCS#10"),
                security="bearer",
                tags=("device",),
            )
        }
    if issuer.key_history:
        paths["/device/v1/enrollments/{id}/key-history"] = {
            "post": operation(
                "The card's escrowed key-management keys, newest first, PKCS#12 under the password",
                {
                    "200": json_answer("keys", obj(["items"], items=array(_KEY_ITEM))),
                    **problems(
                        *_BODY, (401, "unauthorized"), (404, "not-found"), (503, "unavailable")
                    ),
                },
                body=json_body(obj(["password"], password=STRING)),
                security="bearer",
                tags=("device",),
            )
        }
    return paths


def _pki() -> dict[str, dict[str, Json]]:
    revoke = operation(
        "Revoke derived certificates (lab control)",
        {
            "200": json_answer("revoked serials", obj(["revoked"], revoked=array(STRING))),
            **problems(*_BODY, (404, "not-found")),
        },
        body=json_body(obj(reason=STRING)),
        tags=("admin",),
    )
    return {
        "/ocsp": {
            "post": operation(
                "OCSP (RFC 6960) for the derived certificates",
                {
                    "200": raw_answer("application/ocsp-response", "DER OCSP response"),
                    **problems(*_BODY),
                },
                body=raw_body("application/ocsp-request", "DER OCSP request"),
            )
        },
        "/crl": {
            "get": operation(
                "CRL of the issuing CA", {"200": raw_answer("application/pkix-crl", "DER CRL")}
            )
        },
        "/admin/enrollments/{id}/revoke": {"post": revoke},
        "/admin/cards/{uuid}/revoke": {"post": revoke},
    }


def openapi_document(issuer: Issuer) -> Json:
    return document(
        f"dcemu {issuer.display_name} derived-credential issuer",
        "Portal sign-in with the PIV card, QR activation, EST enrollment (docs/protocol.md).",
        {**_portal(issuer), **_device(issuer), **_pki()},
        {"mutualTLS": MUTUAL_TLS, "bearer": BEARER},
    )
