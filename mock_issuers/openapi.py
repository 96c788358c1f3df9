"""Small builders for the servers' OpenAPI 3.1 documents (served at `GET /openapi.json`)."""

from __future__ import annotations

from typing import Any

from servicekit import openapi as kit_openapi
from servicekit.text import EMAIL_PATTERN, LINE_PATTERN, MAX_EMAIL, UPN_PATTERN
from trust_store.problems import PROBLEM_JSON

Json = dict[str, Any]

PROBLEM_SCHEMA = kit_openapi.PROBLEM_SCHEMA

STRING: Json = {"type": "string"}
B64: Json = {"type": "string", "contentEncoding": "base64"}
PEM: Json = {"type": "string", "description": "PEM text"}
TIME: Json = {"type": "string", "format": "date-time"}
#: A DER body sent as bytes (OCSP requests).
DER: Json = {"type": "string", "format": "binary"}


def text(max_len: int, **more: Any) -> Json:
    """A non-empty string of at most `max_len` characters (`wire.get_str`)."""
    return {"type": "string", "minLength": 1, "maxLength": max_len, **more}


def nullable(schema: Json) -> Json:
    """`schema`, or null (an optional field a reader treats as absent when null)."""
    kind = schema.get("type")
    return {**schema, "type": [kind, "null"]} if isinstance(kind, str) else schema


#: One line of printable text (`servicekit.text.line_problem`).
def line(max_len: int) -> Json:
    return text(max_len, pattern=LINE_PATTERN)


UPN: Json = text(256, pattern=UPN_PATTERN)
EMAIL: Json = text(MAX_EMAIL, pattern=EMAIL_PATTERN)
#: A certificate's common name: one line of at most 64 characters (and 64 UTF-8 bytes, which a
#: schema cannot say).
COMMON_NAME: Json = {**line(64), "description": "at most 64 characters and 64 bytes in UTF-8"}


def obj(required: list[str] | None = None, **properties: Json) -> Json:
    schema: Json = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def array(items: Json) -> Json:
    return {"type": "array", "items": items}


def json_body(schema: Json) -> Json:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def raw_body(media_type: str, description: str, schema: Json | None = None) -> Json:
    """A body of `media_type` (text unless `schema` says otherwise, e.g. `DER`)."""
    return {
        "required": True,
        "content": {media_type: {"schema": {**(schema or STRING), "description": description}}},
    }


def json_answer(description: str, schema: Json) -> Json:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def raw_answer(media_type: str, description: str) -> Json:
    return {
        "description": description,
        "content": {media_type: {"schema": {"type": "string", "description": description}}},
    }


#: What reading a request body can fail with (`servicekit.problems.read_json` and body limits).
BODY_PROBLEMS = ((400, "malformed"), (413, "too-large"), (415, "unsupported-media-type"))


def problems(*kinds: tuple[int, str]) -> dict[str, Json]:
    """Error answers: (status, 'kind, kind') pairs, all application/problem+json. Pairs with
    the same status are one answer that lists every kind."""
    by_status: dict[str, list[str]] = {}
    for status, what in kinds:
        listed = by_status.setdefault(str(status), [])
        listed.extend(k for k in (w.strip() for w in what.split(",")) if k not in listed)
    return {
        status: {
            "description": ", ".join(what),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status, what in by_status.items()
    }


def operation(
    summary: str,
    responses: dict[str, Json],
    *,
    body: Json | None = None,
    security: str | None = None,
    tags: tuple[str, ...] = (),
) -> Json:
    op: Json = {"summary": summary, "responses": responses}
    if body is not None:
        op["requestBody"] = body
    if security is not None:
        op["security"] = [{security: []}]
    if tags:
        op["tags"] = list(tags)
    return op


#: What `servicekit.webapp.base_app` adds to every server: its OpenAPI and the admin sub-app.
SHARED_PATHS = kit_openapi.SHARED_PATHS


def document(
    title: str, description: str, paths: dict[str, dict[str, Json]], schemes: dict[str, Json]
) -> Json:
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1", "description": description},
        "paths": {**kit_openapi.shared_paths(), **paths},
        "components": {"schemas": {"Problem": PROBLEM_SCHEMA}, "securitySchemes": schemes},
    }


BEARER: Json = {"type": "http", "scheme": "bearer"}
MUTUAL_TLS: Json = {"type": "mutualTLS"}
