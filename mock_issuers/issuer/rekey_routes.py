"""Automatic re-key on the device side (issuers with `rekey_before_expiry`, i.e. Intercede MyID):
over mutual TLS with its current derived PIV Authentication credential, the device asks whether
a re-key is due and why, then sends new CSRs and gets new certificates."""

from __future__ import annotations

from aiohttp import web
from cryptography import x509

from servicekit.problems import read_json
from trust_store.pkcs import certs_only

from ..kinds import AlreadyRekeyed
from ..peer import client_certificate
from ..wire import b64encode
from .reissue import Reissuer, Rekeyed, RekeyRequest
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
    cert = client_certificate(request)
    # Refuse a wrong credential before reading the body.
    try:
        who = service.gate.authenticate(cert, service.clock.now())
    except AlreadyRekeyed:
        # Idempotent for the device that asked: the same new keys get the same answer.
        assert cert is not None
        repeated = await _read_request(request, service, cert)
        done = reissuer.repeat(cert, repeated) if repeated is not None else None
        if done is None:
            raise
        return _answer(service, done)
    rekey_request = RekeyRequest.from_json(await read_json(request), who.enrollment.kinds)
    await service.verifier.check_status(who.enrollment.holder.card_cert)
    # From here to the end: no await, so the checks and the swap cannot interleave.
    return _answer(service, reissuer.run(who.cert, rekey_request, service.clock.now()))


async def _read_request(
    request: web.Request, service: IssuerService, cert: x509.Certificate
) -> RekeyRequest | None:
    enrollment = service.enrollments.by_serial(cert.serial_number)
    if enrollment is None:
        return None
    return RekeyRequest.from_json(await read_json(request), enrollment.kinds)


def _answer(service: IssuerService, done: Rekeyed) -> web.Response:
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
