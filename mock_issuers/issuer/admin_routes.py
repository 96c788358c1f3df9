"""Issuer-side lab controls under `/admin/`: revoke what an enrollment issued, or terminate
every derived credential of a card (SP 800-157: a terminated card ends them)."""

from __future__ import annotations

import uuid

from aiohttp import web

from trust_store.problems import NotFound

from ..revocation import parse_reason
from ..wire import read_optional_json
from .service import ISSUER_SERVICE


async def revoke_enrollment(request: web.Request) -> web.Response:
    service = request.app[ISSUER_SERVICE]
    enrollment = service.enrollments.get(request.match_info["id"])
    reason = parse_reason((await read_optional_json(request)).get("reason"))
    serials = service.revoke([enrollment], reason)
    return web.json_response({"revoked": [f"{s:x}" for s in serials]})


async def revoke_card(request: web.Request) -> web.Response:
    service = request.app[ISSUER_SERVICE]
    try:
        card_uuid = uuid.UUID(request.match_info["uuid"])
    except ValueError:
        raise NotFound(f"no card {request.match_info['uuid']!r}") from None
    reason = parse_reason((await read_optional_json(request)).get("reason"))
    serials = service.revoke(service.enrollments_of_card(card_uuid), reason)
    return web.json_response({"revoked": [f"{s:x}" for s in serials]})


def add_admin_routes(app: web.Application) -> None:
    app.router.add_post("/admin/enrollments/{id}/revoke", revoke_enrollment)
    app.router.add_post("/admin/cards/{uuid}/revoke", revoke_card)
