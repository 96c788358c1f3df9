"""Automatic re-key on the device side (issuers with `rekey_before_expiry`, i.e. Intercede MyID):
over mutual TLS with its current derived PIV Authentication credential, the device asks whether
a re-key is due and why, then sends new CSRs and gets new certificates."""

from __future__ import annotations

from aiohttp import web

from servicekit.problems import read_json
from trust_store.pkcs import certs_only

from ..peer import client_certificate
from ..wire import b64encode
from .reissue import Reissuer, RekeyRequest
from .service import ISSUER_SERVICE, IssuerService

UPDATES_PATH = "/device/v1/credential/updates"
REKEY_PATH = "/device/v1/credential/rekey"


def _reissuer(service: IssuerService) -> Reissuer:
    if service.reissuer is None:  # the routes are only added when it exists
        raise RuntimeError(f"{service.issuer.name} does not re-key automatically")
    return service.reissuer


async def updates(request: web.Request) -> web.Response:
    service = request.app[ISSUER_SERVICE]
    now = service.clock.now()
    enrollment = service.gate.authenticate(client_certificate(request), now).enrollment
    status = _reissuer(service).status(enrollment, now)
    body = {
        "enrollment": enrollment.id,
        **status.to_json(),
        "requests": list(enrollment.kinds),
    }
    return web.json_response(body)


async def rekey(request: web.Request) -> web.Response:
    service = request.app[ISSUER_SERVICE]
    reissuer = _reissuer(service)
    # Refuse a wrong credential before reading the body.
    who = service.gate.authenticate(client_certificate(request), service.clock.now())
    rekey_request = RekeyRequest.from_json(await read_json(request), who.enrollment.kinds)
    await service.verifier.check_status(who.enrollment.holder.card_cert)
    # From here to the end: no await, so the checks and the swap cannot interleave.
    done = reissuer.run(who.cert, rekey_request, service.clock.now())
    chain = service.hierarchy.issuing.cert
    body = {
        "enrollment": done.enrollment.id,
        "reason": done.reason.value,
        "certificates": {
            kind: b64encode(certs_only([c, chain])) for kind, c in done.certificates.items()
        },
        "revoked": [f"{s:x}" for s in done.revoked],
    }
    return web.json_response(body)


def add_rekey_routes(app: web.Application) -> None:
    app.router.add_get(UPDATES_PATH, updates)
    app.router.add_post(REKEY_PATH, rekey)
