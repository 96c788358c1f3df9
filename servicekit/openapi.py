"""OpenAPI 3.1 pieces every server's document shares: the problem document, the shared admin
sub-app's paths (history, fault plan, reset, time) with schemas that say what the code accepts,
and `declare_path_parameters`, which `webapp` applies to every served document so that each
templated path (`/x/{id}`) declares its parameters."""

from __future__ import annotations

import copy
import re
from typing import Any

from trust_store.problems import PROBLEM_JSON

from .faults import MAX_LATENCY_MS, MAX_PATH_CHARS, MAX_PATHS

Json = dict[str, Any]

_TEMPLATE = re.compile(r"\{([^{}/]+)\}")

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
PROBLEM_REF: Json = {"$ref": "#/components/schemas/Problem"}

#: `PUT /admin/faults` as `FaultPlan.from_json` reads it (absent fields: off).
FAULT_PLAN_SCHEMA: Json = {
    "type": "object",
    "properties": {
        "latencyMs": {"type": "integer", "minimum": 0, "maximum": MAX_LATENCY_MS},
        "jitterMs": {
            "type": "integer",
            "minimum": 0,
            "maximum": MAX_LATENCY_MS,
            "description": "up to this much more latency, uniform, per request",
        },
        "errorRate": {"type": "number", "minimum": 0, "maximum": 1},
        "dropRate": {"type": "number", "minimum": 0, "maximum": 1},
        "paths": {
            "type": "array",
            "maxItems": MAX_PATHS,
            "description": "only requests whose path starts with one of these (all when empty)",
            "items": {"type": "string", "pattern": "^/", "maxLength": MAX_PATH_CHARS},
        },
    },
}
HISTORY_SCHEMA: Json = {
    "type": "object",
    "required": ["requests"],
    "properties": {
        "requests": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["at", "method", "path", "status", "client_cert"],
                "properties": {
                    "at": {"type": "string", "format": "date-time"},
                    "method": {"type": "string"},
                    "path": {"type": "string"},
                    "status": {"type": "integer"},
                    "client_cert": {"type": "boolean"},
                },
            },
        }
    },
}


TIME_MOVE_SCHEMA: Json = {
    "oneOf": [
        {
            "type": "object",
            "required": ["advance"],
            "additionalProperties": False,
            "properties": {"advance": {"type": "string", "pattern": "^P", "examples": ["P30D"]}},
        },
        {
            "type": "object",
            "required": ["set"],
            "additionalProperties": False,
            "properties": {"set": {"type": "string", "format": "date-time"}},
        },
    ]
}
NOW_SCHEMA: Json = {
    "type": "object",
    "required": ["now"],
    "properties": {"now": {"type": "string", "format": "date-time"}},
}


def _problem(description: str) -> Json:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}


def _json(description: str, schema: Json) -> Json:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _op(summary: str, responses: Json, **more: Any) -> Json:
    return {"summary": summary, "tags": ["admin"], "responses": responses, **more}


#: The paths of `webapp.admin_app` (mounted at /admin/ on every server) and `/openapi.json`;
#: `webapp` adds their admin-token security when it serves the document.
SHARED_PATHS: dict[str, dict[str, Json]] = {
    "/openapi.json": {
        "get": {
            "summary": "This document",
            "responses": {"200": _json("OpenAPI 3.1", {"type": "object"})},
        }
    },
    "/admin/history": {
        "get": _op(
            "Recent requests, answered or refused (method, path, status, client certificate)",
            {"200": _json("history", HISTORY_SCHEMA)},
        )
    },
    "/admin/faults": {
        "get": _op("The fault plan", {"200": _json("fault plan", FAULT_PLAN_SCHEMA)}),
        "put": _op(
            "Replace the fault plan (latency, error rate, drop rate, paths)",
            {
                "200": _json("fault plan", FAULT_PLAN_SCHEMA),
                "400": _problem("malformed"),
                "413": _problem("too-large"),
                "415": _problem("unsupported-media-type"),
            },
            requestBody={
                "required": True,
                "content": {"application/json": {"schema": FAULT_PLAN_SCHEMA}},
            },
        ),
    },
    "/admin/reset": {
        "post": _op("Forget faults, history and state", {"204": {"description": "reset"}})
    },
    "/admin/time": {
        "get": _op("The lab clock", {"200": _json("now", NOW_SCHEMA)}),
        "post": _op(
            "Move the lab clock, the one clock of every service of the lab: forward by an ISO "
            "8601 duration (P30D, PT12H, P1DT2H) or to a later instant",
            {
                "200": _json("now", NOW_SCHEMA),
                "400": _problem("malformed"),
                "409": _problem("conflict"),
                "413": _problem("too-large"),
                "415": _problem("unsupported-media-type"),
            },
            requestBody={
                "required": True,
                "content": {"application/json": {"schema": TIME_MOVE_SCHEMA}},
            },
        ),
    },
}


def shared_paths() -> dict[str, dict[str, Json]]:
    """A copy of `SHARED_PATHS` for a document to own."""
    return copy.deepcopy(SHARED_PATHS)


def declare_path_parameters(doc: Json) -> Json:
    """`doc` with every templated path's parameters declared on each of its operations (a
    required string of at least one character) unless the operation or path declares them."""
    for path, item in doc.get("paths", {}).items():
        names = _TEMPLATE.findall(path)
        if not names:
            continue
        for method, op in item.items():
            if method == "parameters" or not isinstance(op, dict):
                continue
            declared = {
                p.get("name")
                for p in [*item.get("parameters", []), *op.get("parameters", [])]
                if p.get("in") == "path"
            }
            missing = [
                {
                    "name": n,
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1},
                }
                for n in names
                if n not in declared
            ]
            if missing:  # a new dict: one operation object may serve two paths
                item[method] = {**op, "parameters": [*op.get("parameters", []), *missing]}
    return doc


def absolute_flow_urls(doc: Json, origin: str) -> Json:
    """`doc` with the OAuth flows' relative URLs (`tokenUrl`, ...) made absolute against the
    server's `origin` (OpenAPI 3.1's schema requires absolute URIs there)."""
    for scheme in doc.get("components", {}).get("securitySchemes", {}).values():
        for flow in scheme.get("flows", {}).values():
            for key in ("tokenUrl", "authorizationUrl", "refreshUrl"):
                url = flow.get(key)
                if isinstance(url, str) and url.startswith("/"):
                    flow[key] = origin + url
    return doc
