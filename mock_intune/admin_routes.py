"""Lab-only routes beside the shared admin kit (`servicekit.webapp.admin_app`): the email
outbox. Also the shared kit's own routes, as documentation for the OpenAPI document."""

from __future__ import annotations

from aiohttp import web

from .env import Env, json
from .openapi import Route


async def outbox(request: web.Request) -> web.Response:
    """Emails "sent" to users; `?to=<upn>` keeps one recipient's."""
    t = Env.of(request).tenant
    to = request.query.get("to", "").lower()
    items = [m.to_json() for m in t.outbox if not to or m.to.lower() == to]
    return json({"value": items})


async def _documented_elsewhere(request: web.Request) -> web.Response:  # pragma: no cover
    raise web.HTTPNotFound()


TAG = "admin"

#: Registered by this package (on the main app, beside the `/admin/` sub-app).
ROUTES = [
    Route("GET", "/admin/outbox", outbox, "listOutbox",
          "Email notifications sent to users (?to=<upn> filters)", TAG,
          response="EmailMessage", collection=True),
]  # fmt: skip

#: Served by the shared server kit (`servicekit.webapp`); listed here for the document only.
SHARED_ROUTES = [
    Route("GET", "/openapi.json", _documented_elsewhere, "openapi", "This document", TAG),
    Route("GET", "/admin/history", _documented_elsewhere, "history",
          "Recent requests (method, path, status)", TAG),
    Route("GET", "/admin/faults", _documented_elsewhere, "getFaults",
          "The fault plan in force", TAG, response="FaultPlan"),
    Route("PUT", "/admin/faults", _documented_elsewhere, "putFaults",
          "Replace the fault plan (latency, error and drop rates, paths)", TAG,
          request="FaultPlan", response="FaultPlan", problems=(400, 415)),
    Route("POST", "/admin/reset", _documented_elsewhere, "reset",
          "Clear faults, history and the whole tenant", TAG, status=204),
    Route("GET", "/admin/time", _documented_elsewhere, "time", "The lab clock's time", TAG,
          response="Now"),
    Route("POST", "/admin/time", _documented_elsewhere, "moveTime",
          "Move the lab clock (every service's): forward by an ISO 8601 duration or to a later "
          "instant", TAG, request="TimeMove", response="Now", problems=(400, 409, 415)),
]  # fmt: skip
