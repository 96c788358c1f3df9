"""Routes as data, registered on the app and described in its OpenAPI 3.1 document from the same
list, so the document cannot forget a route."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from servicekit.auth import is_under

from .fields import JsonObject
from .identity import GRAPH_PREFIX, GRAPH_SCOPES, graph_security_scheme, token_operation
from .registration import GraphApp

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    operation_id: str
    summary: str
    tag: str
    #: Component schema of the JSON request body (None: no body).
    request: str | None = None
    #: Success status and the component schema of its JSON body (None: empty body).
    status: int = 200
    response: str | None = None
    #: The success body is an OData collection of `response` items.
    collection: bool = False
    #: Needs `Authorization: Bearer <checkinToken>`.
    bearer: bool = False
    #: Problem statuses worth listing besides the default.
    problems: tuple[int, ...] = ()
    #: Other success statuses with the same body (e.g. 200 for a repeat of a 201).
    also: tuple[int, ...] = ()


def register(app: web.Application, routes: Iterable[Route]) -> None:
    for r in routes:
        app.router.add_route(r.method, r.path, r.handler)


def _ref(name: str) -> JsonObject:
    return {"$ref": f"#/components/schemas/{name}"}


def _operation(r: Route) -> JsonObject:
    op: JsonObject = {"operationId": r.operation_id, "summary": r.summary, "tags": [r.tag]}
    params = [
        {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
        for n in _PARAM.findall(r.path)
    ]
    if params:
        op["parameters"] = params
    if r.request:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(r.request)}},
        }
    success: JsonObject = {"description": "success"}
    if r.response:
        schema = _ref(r.response)
        if r.collection:
            schema = {
                "type": "object",
                "properties": {
                    "@odata.context": {"type": "string"},
                    "value": {"type": "array", "items": schema},
                },
                "required": ["value"],
            }
        success["content"] = {"application/json": {"schema": schema}}
    graph = is_under(r.path, GRAPH_PREFIX)
    error: JsonObject = (
        {"content": {"application/json": {"schema": _ref("GraphError")}}}
        if graph
        else {"content": {PROBLEM: {"schema": _ref("Problem")}}}
    )
    responses: JsonObject = {str(r.status): success}
    for status in r.also:
        responses[str(status)] = success
    for status in (401, *r.problems) if graph else r.problems:
        responses[str(status)] = {"description": "error", **error}
    responses["default"] = {
        "description": "any error, as a Graph error"
        if graph
        else "any error, as an RFC 9457 problem document",
        **error,
    }
    op["responses"] = responses
    if r.bearer:
        op["security"] = [{"checkinToken": []}]
    if graph:
        op["security"] = [{"graphClientCredentials": [GRAPH_SCOPES[0]]}]
    return op


def document(
    title: str,
    version: str,
    routes: Iterable[Route],
    schemas: dict[str, Any],
    graph_app: GraphApp,
) -> JsonObject:
    paths: dict[str, JsonObject] = {"/{tenant}/oauth2/v2.0/token": {"post": token_operation()}}
    for r in routes:
        paths.setdefault(r.path, {})[r.method.lower()] = _operation(r)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "dcemu mock Intune: a Graph-beta-shaped admin API under /beta (bearer "
            "tokens from the client-credentials grant at /{tenant}/oauth2/v2.0/token; errors in "
            "Graph's shape, the dcemu problem kind as error.innerError.code) and the device "
            "channel under /device/v1 (errors are application/problem+json with type "
            "urn:dcemu:problem:<kind>).",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "checkinToken": {"type": "http", "scheme": "bearer", "description": "from enroll"},
                "graphClientCredentials": graph_security_scheme(graph_app),
            },
        },
    }
