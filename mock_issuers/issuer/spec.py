"""An issuer's OpenAPI 3.1 document, built from its data (password or not, products)."""

from __future__ import annotations

from ..openapi import (
    BEARER,
    BODY_PROBLEMS,
    MUTUAL_TLS,
    STRING,
    TIME,
    Json,
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
from ..spec_parts import (
    CARD_SIGN_IN,
    CARD_USER,
    DEVICE,
    ENROLLMENT_GRANT,
    est_paths,
    issued_paths,
    key_items,
    recheck_paths,
    revoke_operation,
    status_paths,
)
from .base import Issuer


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
                            user=CARD_USER,
                            expiresAt=TIME,
                        ),
                    ),
                    **CARD_SIGN_IN,
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
                    **problems(*BODY_PROBLEMS, (401, "unauthorized")),
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
    paths: dict[str, dict[str, Json]] = {
        "/device/v1/activations": {
            "post": operation(
                "Redeem the scanned activation token (single use)",
                {
                    "201": json_answer("activated", ENROLLMENT_GRANT),
                    **problems(
                        *BODY_PROBLEMS,
                        (403, "password-mismatch, attempts-exhausted, user-mismatch"),
                        (404, "token-invalid"),
                        (409, "token-used"),
                        (410, "token-expired"),
                    ),
                },
                body=json_body(
                    obj(
                        activation_required,
                        token=text(256),
                        password=text(64) if issuer.password_required else nullable(text(64)),
                        upn=text(256),
                        device=DEVICE,
                    )
                ),
                tags=("device",),
            )
        },
        **est_paths(
            issuer.products,
            lambda p: f"EST simpleenroll: the derived {p.kind} certificate (once per enrollment)",
        ),
    }
    if issuer.key_history:
        paths["/device/v1/enrollments/{id}/key-history"] = {
            "post": operation(
                "The card's escrowed key-management keys, newest first, PKCS#12 under the password",
                {
                    "200": key_items("keys"),
                    **problems(
                        *BODY_PROBLEMS,
                        (401, "unauthorized"),
                        (404, "not-found"),
                        (503, "unavailable"),
                    ),
                },
                body=json_body(obj(["password"], password=text(256))),
                security="bearer",
                tags=("device",),
            )
        }
    return paths


def _pki() -> dict[str, dict[str, Json]]:
    revoke = revoke_operation("Revoke derived certificates (lab control)")
    return {
        **status_paths("the derived certificates", "the issuing CA"),
        **issued_paths(),
        **recheck_paths(),
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
