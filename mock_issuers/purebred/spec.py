"""The OpenAPI 3.1 documents of Purebred's two listeners (each serves its own)."""

from __future__ import annotations

from ..openapi import (
    BEARER,
    BODY_PROBLEMS,
    MUTUAL_TLS,
    STRING,
    TIME,
    UPN,
    Json,
    array,
    document,
    json_answer,
    json_body,
    obj,
    operation,
    problems,
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
from .console_routes import MAX_PEM
from .device_routes import MAX_NONCE, MAX_OTP
from .issuer import PurebredIssuer
from .otps import AGENT_STEPS, USER_STEPS

#: A card UUID as the agent registry reads one (8-4-4-4-12 hexadecimal digits).
UUID = "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
_OTP_PROBLEMS = (
    (403, "otp-invalid, otp-step-mismatch, otp-user-mismatch"),
    (409, "otp-used"),
    (410, "otp-expired"),
)
_SESSION = obj(
    ["session", "expiresAt"], session=STRING, expiresAt=TIME, user=CARD_USER, agent=CARD_USER
)
_PRE = obj(
    ["id", "status", "fingerprint", "hash", "device", "expiresAt"],
    id=STRING,
    status={"enum": ["awaiting-confirmation", "confirmed", "enrolled", "expired"]},
    fingerprint={"type": "string", "pattern": "^[0-9A-F]{4}(-[0-9A-F]{4}){3}$"},
    hash={"type": "string", "description": "SHA-256 (hex) of the pre-enroll request body"},
    device=DEVICE,
    expiresAt=TIME,
    enrollment={"type": ["string", "null"]},
)
_APPLICANT = obj(
    ["id", "user", "status", "preEnrollments", "enrollments"],
    id={"type": "string", "format": "uuid", "description": "the card UUID"},
    user=CARD_USER,
    status={"enum": ["identified", "confirmed"]},
    identifiedBy=STRING,
    identifiedAt=TIME,
    confirmedBy={"type": ["string", "null"]},
    preEnrollments=array(_PRE),
    enrollments=array(obj()),
)


def _otp(steps: tuple[str, ...]) -> Json:
    return obj(
        ["otp", "step", "applicant", "expiresAt"],
        otp={"type": "string", "pattern": "^[0-9]+$"},
        step={"enum": list(steps)},
        applicant=STRING,
        expiresAt=TIME,
    )


def _console() -> dict[str, dict[str, Json]]:
    agent_steps = tuple(s.value for s in AGENT_STEPS)
    return {
        "/console/session": {
            "post": operation(
                "Agent sign-in with their own PIV card (mTLS, chain, OCSP); registered agents only",
                {
                    "201": json_answer("console session", _SESSION),
                    **CARD_SIGN_IN,
                    **problems((403, "agent-not-registered")),
                },
                security="mutualTLS",
                tags=("console",),
            )
        },
        "/console/applicants": {
            "post": operation(
                "Look the applicant up by the PIV Authentication certificate read off their card",
                {
                    "200": json_answer("known applicant", _APPLICANT),
                    "201": json_answer("new applicant", _APPLICANT),
                    **problems(
                        *BODY_PROBLEMS,
                        (401, "unauthorized"),
                        (403, "agent-not-registered, card-untrusted, card-revoked, forbidden"),
                        (503, "card-status-unavailable"),
                    ),
                },
                body=json_body(obj(["certificate"], certificate=text(MAX_PEM))),
                security="bearer",
                tags=("console",),
            )
        },
        "/console/applicants/{id}": {
            "get": operation(
                "The applicant, their pre-enrollments (with fingerprints) and enrollments",
                {
                    "200": json_answer("applicant", _APPLICANT),
                    **problems((401, "unauthorized"), (404, "not-found")),
                },
                security="bearer",
                tags=("console",),
            )
        },
        "/console/applicants/{id}/confirm": {
            "post": operation(
                "The agent confirms, in person, that the card is the applicant's",
                {
                    "200": json_answer("applicant", _APPLICANT),
                    **problems(*BODY_PROBLEMS, (401, "unauthorized"), (404, "not-found")),
                },
                security="bearer",
                tags=("console",),
            )
        },
        "/console/applicants/{id}/otps": {
            "post": operation(
                "Hand out a one-time passcode (3 minutes, single use) for pre-enroll or enroll",
                {
                    "201": json_answer("one-time passcode", _otp(agent_steps)),
                    **problems(
                        *BODY_PROBLEMS,
                        (401, "unauthorized"),
                        (404, "not-found"),
                        (409, "applicant-not-confirmed, step-out-of-order"),
                    ),
                },
                body=json_body(obj(["step"], step={"enum": list(agent_steps)})),
                security="bearer",
                tags=("console",),
            )
        },
        "/console/pre-enrollments/{id}/confirm": {
            "post": operation(
                "Confirm the fingerprint the device shows (must equal the server's)",
                {
                    "200": json_answer("pre-enrollment", _PRE),
                    **problems(
                        *BODY_PROBLEMS,
                        (401, "unauthorized"),
                        (403, "fingerprint-mismatch"),
                        (404, "not-found"),
                        (409, "step-out-of-order"),
                        (410, "pre-enrollment-expired"),
                    ),
                },
                body=json_body(obj(["fingerprint"], fingerprint=text(64))),
                security="bearer",
                tags=("console",),
            )
        },
    }


def _portal() -> dict[str, dict[str, Json]]:
    user_steps = tuple(s.value for s in USER_STEPS)
    return {
        "/portal/session": {
            "post": operation(
                "User sign-in with their PIV card (mTLS, chain, OCSP)",
                {"201": json_answer("portal session", _SESSION), **CARD_SIGN_IN},
                security="mutualTLS",
                tags=("portal",),
            )
        },
        "/portal/otps": {
            "post": operation(
                "Generate a one-time passcode (3 minutes, single use) for key-management or recover",
                {
                    "201": json_answer("one-time passcode", _otp(user_steps)),
                    **problems(*BODY_PROBLEMS, (401, "unauthorized")),
                },
                body=json_body(obj(["step"], step={"enum": list(user_steps)})),
                security="bearer",
                tags=("portal",),
            )
        },
    }


def _admin() -> dict[str, dict[str, Json]]:
    agents = obj(["agents"], agents=array(STRING))
    revoke = revoke_operation("Revoke derived certificates (lab control)")
    return {
        "/admin/agents": {
            "get": operation(
                "Registered agents (UPNs, card UUIDs)",
                {"200": json_answer("agents", agents)},
                tags=("admin",),
            ),
            "post": operation(
                "Register an agent",
                {
                    "201": json_answer("agent", obj(["agent"], agent=STRING)),
                    **problems(*BODY_PROBLEMS),
                },
                body=json_body(
                    {
                        "oneOf": [
                            obj(["upn"], upn=UPN),
                            obj(["cardUuid"], cardUuid={"type": "string", "pattern": UUID}),
                        ]
                    }
                ),
                tags=("admin",),
            ),
        },
        "/admin/agents/{entry}": {
            "delete": {
                **operation(
                    "De-register an agent (their console sessions end)",
                    {
                        "204": {"description": "removed"},
                        **problems((400, "malformed"), (404, "not-found")),
                    },
                    tags=("admin",),
                ),
                "parameters": [
                    {
                        "name": "entry",
                        "in": "path",
                        "required": True,
                        "description": "a registered UPN or card UUID",
                        "schema": {
                            "anyOf": [
                                {"type": "string", "pattern": UUID},
                                UPN,
                            ]
                        },
                    }
                ],
            }
        },
        **issued_paths(),
        **recheck_paths(),
        "/admin/enrollments/{id}/revoke": {"post": revoke},
        "/admin/cards/{uuid}/revoke": {"post": revoke},
        **status_paths("the derived certificates", "the issuing CA"),
    }


def console_document() -> Json:
    return document(
        "dcemu DISA Purebred (enterprise listener: agent console, user portal)",
        "Supervised enrollment by a registered agent; user codes for key management "
        "(docs/protocol.md, DISA Purebred). The device API is on the on-premises listener.",
        {**_console(), **_portal(), **_admin()},
        {"mutualTLS": MUTUAL_TLS, "bearer": BEARER},
    )


def device_document() -> Json:
    key_answer = {
        "200": key_items("keys as PKCS#12 under the password"),
        **problems(
            *BODY_PROBLEMS,
            *_OTP_PROBLEMS,
            (401, "unauthorized"),
            (404, "not-found"),
            (503, "unavailable"),
        ),
    }
    key_body = json_body(obj(["otp", "password"], otp=text(MAX_OTP), password=text(256)))
    paths: dict[str, dict[str, Json]] = {
        "/device/v1/pre-enroll": {
            "post": operation(
                "Step 1: the agent's pre-enroll code; the answer's hash (SHA-256 of this request "
                "body as received) is what the device shows and the agent confirms",
                {
                    "201": json_answer(
                        "pre-enrollment",
                        obj(
                            ["preEnrollment", "hash", "fingerprint", "expiresAt"],
                            preEnrollment=STRING,
                            hash=STRING,
                            fingerprint=STRING,
                            expiresAt=TIME,
                        ),
                    ),
                    **problems(*BODY_PROBLEMS, *_OTP_PROBLEMS),
                },
                body=json_body(
                    obj(
                        ["otp", "upn", "device", "nonce"],
                        otp=text(MAX_OTP),
                        upn=text(256),
                        device=DEVICE,
                        nonce=text(MAX_NONCE),
                    )
                ),
                tags=("device",),
            )
        },
        "/device/v1/enroll": {
            "post": operation(
                "Step 2: the agent's enroll code (the challenge), redeemed once for an enrollment "
                "authorisation; the pre-enrollment must be confirmed and the nonce the same",
                {
                    "201": json_answer("enrollment", ENROLLMENT_GRANT),
                    **problems(
                        *BODY_PROBLEMS,
                        (403, "otp-invalid, otp-step-mismatch, otp-user-mismatch, device-mismatch"),
                        (404, "not-found"),
                        (409, "otp-used, step-out-of-order"),
                        (410, "otp-expired, pre-enrollment-expired"),
                    ),
                },
                body=json_body(
                    obj(
                        ["otp", "preEnrollment", "nonce"],
                        otp=text(MAX_OTP),
                        preEnrollment=text(64),
                        nonce=text(MAX_NONCE),
                    )
                ),
                tags=("device",),
            )
        },
        "/device/v1/enrollments/{id}/key-management": {
            "post": operation(
                "Step 3: a user's key-management code; the current escrowed key-management key",
                key_answer,
                body=key_body,
                security="bearer",
                tags=("device",),
            )
        },
        "/device/v1/enrollments/{id}/recover": {
            "post": operation(
                "Step 4 (optional): a user's recover code; the earlier key-management keys",
                key_answer,
                body=key_body,
                security="bearer",
                tags=("device",),
            )
        },
        **est_paths(
            PurebredIssuer.products,
            lambda p: f"EST simpleenroll under the enrollment authorisation: {p.kind} (once)",
        ),
    }
    return document(
        "dcemu DISA Purebred (on-premises listener: device API)",
        "Pre-enroll, enroll, certificate requests and key management, each step gated by a "
        "one-time passcode (docs/protocol.md, DISA Purebred).",
        paths,
        {"bearer": BEARER},
    )
