"""Lab controls under `/admin/` on the enterprise listener: the registered-agent allow-list,
and (from the shared core) revoking what an enrollment or a card was issued."""

from __future__ import annotations

from aiohttp import web

from servicekit.problems import BadRequest, read_json

from ..issuer.admin_routes import add_admin_routes as add_core_admin_routes
from ..wire import get_optional_str
from .service import PUREBRED_SERVICE


async def list_agents(request: web.Request) -> web.Response:
    return web.json_response({"agents": request.app[PUREBRED_SERVICE].agents.entries()})


async def add_agent(request: web.Request) -> web.Response:
    body = await read_json(request)
    upn = get_optional_str(body, "upn", max_len=256)
    card = get_optional_str(body, "cardUuid", max_len=64)
    if (upn is None) == (card is None):
        raise BadRequest("give exactly one of upn or cardUuid")
    entry = request.app[PUREBRED_SERVICE].agents.add(upn or card or "")
    return web.json_response({"agent": entry}, status=201)


async def remove_agent(request: web.Request) -> web.Response:
    request.app[PUREBRED_SERVICE].agents.remove(request.match_info["entry"])
    return web.Response(status=204)


def add_admin_routes(app: web.Application) -> None:
    app.router.add_get("/admin/agents", list_agents)
    app.router.add_post("/admin/agents", add_agent)
    app.router.add_delete("/admin/agents/{entry}", remove_agent)
    add_core_admin_routes(app)
