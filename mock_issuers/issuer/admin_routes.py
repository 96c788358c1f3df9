"""Issuer-side lab controls under `/admin/`: list everything the issuer's CA signed; revoke
what an enrollment issued, or terminate every derived credential of a card (SP 800-157: a
terminated card ends them); on issuers that re-key automatically, change a person's name or
email in the issuer's directory, which makes their live credentials due for re-key."""

from __future__ import annotations

import uuid

from aiohttp import web

from servicekit.problems import NotFound, read_json

from ..revocation import parse_reason
from ..wire import read_optional_json
from .issued_list import issued_listing
from .people import PersonUpdate
from .service import ISSUER_SERVICE


async def list_issued(request: web.Request) -> web.Response:
    return web.json_response({"issued": issued_listing(request.app[ISSUER_SERVICE])})


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


async def update_person(request: web.Request) -> web.Response:
    service = request.app[ISSUER_SERVICE]
    upn = request.match_info["upn"]
    enrollments = service.enrollments.of_upn(upn)
    if not enrollments:
        raise NotFound(f"no one with UPN {upn!r} has enrolled here")
    change = PersonUpdate.from_json(await read_json(request))
    now = service.clock.now()
    person = service.people.update(enrollments[0].holder.upn, change, now)
    subject = service.people.subject_for(enrollments[0].holder)
    due = []
    if service.reissuer is not None:
        for e in enrollments:
            # An enrollment that has issued nothing yet has nothing to re-key.
            if e.issued and service.reissuer.status(e, now).due:
                due.append(e.id)
    body = {**person.to_json(), "subject": subject.name().rfc4514_string(), "rekeyDue": due}
    return web.json_response(body)


def add_admin_routes(app: web.Application, *, people: bool = False) -> None:
    """The listing and revoke routes; with `people`, the directory route of issuers that
    re-key."""
    app.router.add_get("/admin/issued", list_issued)
    app.router.add_post("/admin/enrollments/{id}/revoke", revoke_enrollment)
    app.router.add_post("/admin/cards/{uuid}/revoke", revoke_card)
    if people:
        app.router.add_post("/admin/people/{upn}", update_person)
