"""Small builders for the servers' OpenAPI 3.1 documents (served at `GET /openapi.json`)."""

from __future__ import annotations

from typing import Any

from servicekit.faults import MAX_LATENCY_MS
from trust_store.problems import PROBLEM_JSON

Json = dict[str, Any]

PROBLEM_SCHEMA: Json = {
    "type": "object",
    "description": "RFC 9457 problem document; type is urn:dcemu:problem:<kind>",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
}

STRING: Json = {"type": "string"}
B64: Json = {"type": "string", "contentEncoding": "base64"}
PEM: Json = {"type": "string", "description": "PEM text"}
TIME: Json = {"type": "string", "format": "date-time"}


def obj(required: list[str] | None = None, **properties: Json) -> Json:
    schema: Json = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def array(items: Json) -> Json:
    return {"type": "array", "items": items}


def json_body(schema: Json) -> Json:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def raw_body(media_type: str, description: str) -> Json:
    return {
        "required": True,
        "content": {media_type: {"schema": {"type": "string", "description": description}}},
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


_FAULTS = obj(
    latencyMs={"type": "integer", "minimum": 0, "maximum": MAX_LATENCY_MS},
    errorRate={"type": "number", "minimum": 0, "maximum": 1},
    dropRate={"type": "number", "minimum": 0, "maximum": 1},
    paths=array(STRING),
)

#: What `servicekit.webapp.base_app` adds to every server: its OpenAPI and the admin sub-app.
SHARED_PATHS: dict[str, dict[str, Json]] = {
    "/openapi.json": {"get": operation("This document", {"200": json_answer("OpenAPI 3.1", {})})},
    "/admin/history": {
        "get": operation(
            "Recent requests (method, path, status, client certificate)",
            {"200": json_answer("history", obj(["requests"], requests=array(obj())))},
            tags=("admin",),
        )
    },
    "/admin/faults": {
        "get": operation(
            "The fault plan", {"200": json_answer("fault plan", _FAULTS)}, tags=("admin",)
        ),
        "put": operation(
            "Replace the fault plan (latency, error rate, drop rate, paths)",
            {"200": json_answer("fault plan", _FAULTS), **problems((400, "malformed"))},
            body=json_body(_FAULTS),
            tags=("admin",),
        ),
    },
    "/admin/reset": {
        "post": operation(
            "Forget faults, history and state", {"204": {"description": "reset"}}, tags=("admin",)
        )
    },
    "/admin/time": {
        "get": operation(
            "The lab clock", {"200": json_answer("now", obj(["now"], now=TIME))}, tags=("admin",)
        )
    },
}


def document(
    title: str, description: str, paths: dict[str, dict[str, Json]], schemes: dict[str, Json]
) -> Json:
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1", "description": description},
        "paths": {**SHARED_PATHS, **paths},
        "components": {"schemas": {"Problem": PROBLEM_SCHEMA}, "securitySchemes": schemes},
    }


BEARER: Json = {"type": "http", "scheme": "bearer"}
MUTUAL_TLS: Json = {"type": "mutualTLS"}
