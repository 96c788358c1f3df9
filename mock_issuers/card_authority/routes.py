"""HTTP handlers of the card authority (docs/protocol.md, "Card authority")."""

from __future__ import annotations

import asyncio

from aiohttp import web
from cryptography import x509

from servicekit.problems import read_json
from servicekit.webapp import SERVER_STATE
from trust_store.pem import certs_pem

from ..revocation import parse_reason
from ..wire import get_str, read_optional_json
from .cards import CardRequest
from .escrow import generate_keys
from .notify import Notifier
from .recovery import authorised_escrow_client
from .service import CardAuthority

CARD_AUTHORITY = web.AppKey("card_authority", CardAuthority)
NOTIFIER = web.AppKey("card_notifier", Notifier)
PEM_CHAIN = "application/pem-certificate-chain"


async def issue_card(request: web.Request) -> web.Response:
    authority = request.app[CARD_AUTHORITY]
    card_request = CardRequest.from_json(await read_json(request), authority.settings)
    # Key generation is slow and touches no state: off the event loop, before any mutation.
    keys = await asyncio.to_thread(generate_keys, 1 + card_request.key_history)
    record = authority.issue(card_request, keys)
    body = authority.issuance_answer(record, card_request.p12_password)
    return web.json_response(body, status=201)


async def revoke_card(request: web.Request) -> web.Response:
    authority = request.app[CARD_AUTHORITY]
    record = authority.card(request.match_info["uuid"])
    reason = parse_reason((await read_optional_json(request)).get("reason"))
    serials = authority.revoke(record, reason)
    body: dict[str, object] = {"revoked": [f"{s:x}" for s in serials]}
    if reason is not x509.ReasonFlags.certificate_hold:  # a hold is not a termination
        token = request.app[SERVER_STATE].admin_token or ""
        told = await request.app[NOTIFIER].card_terminated(record.uuid, token)
        body["notified"] = [n.to_json() for n in told]
    return web.json_response(body)


async def list_notifications(request: web.Request) -> web.Response:
    history = request.app[NOTIFIER].history
    return web.json_response({"notifications": [n.to_json() for n in history]})


async def recover_escrow(request: web.Request) -> web.Response:
    authority = request.app[CARD_AUTHORITY]
    authorised_escrow_client(
        request,
        authority.pki.tls_root.cert,
        authority.settings.escrow_clients,
        authority.clock,
    )
    record = authority.card(request.match_info["uuid"])
    password = get_str(await read_json(request), "password", max_len=256).encode()
    return web.json_response({"items": authority.escrow_json(record, password)})


async def list_cards(request: web.Request) -> web.Response:
    return web.json_response({"cards": request.app[CARD_AUTHORITY].listing()})


async def cacerts(request: web.Request) -> web.Response:
    chain = request.app[CARD_AUTHORITY].chain
    return web.Response(body=certs_pem(chain), content_type=PEM_CHAIN)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/admin/cards", issue_card)
    app.router.add_get("/admin/cards", list_cards)
    app.router.add_post("/admin/cards/{uuid}/revoke", revoke_card)
    app.router.add_get("/admin/notifications", list_notifications)
    app.router.add_post("/escrow/{uuid}/recover", recover_escrow)
    app.router.add_get("/cacerts", cacerts)
