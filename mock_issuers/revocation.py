"""Revocation status for what a server's CA issued: `POST /ocsp` and `GET /ocsp/{request}`
(RFC 6960 and its appendix A.1), `GET /crl` (RFC 5280) and `GET /ca.cer` (the CA's certificate,
for AIA caIssuers), and the pointers (AIA, CRL distribution point) its certificates carry.

Each server serves these on its HTTPS listener and, in the lab, on a plain-HTTP listener on
loopback (`http_app`: just these routes, read-only, no admin); once the lab sets the CA's
`urls.http_base` to that listener, the certificates it issues point at http:// URLs, as the
FPKI profiles expect."""

from __future__ import annotations

import base64
import binascii
import copy
from urllib.parse import unquote

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from servicekit.problems import BadRequest, Unavailable, problem_middleware
from servicekit.storage import Storage, commit_middleware
from trust_store.ca import CertificateAuthority
from trust_store.labpki import Hierarchy
from trust_store.ocsp import MalformedOcspRequest, parse_request

from .settings import PublicUrl
from .wire import read_body

OCSP_REQUEST = "application/ocsp-request"
OCSP_RESPONSE = "application/ocsp-response"
PKIX_CRL = "application/pkix-crl"
PKIX_CERT = "application/pkix-cert"
#: Where a server serves its CA's certificate (DER), the AIA caIssuers pointer.
CA_CERT_PATH = "/ca.cer"

#: CRL reason names (RFC 5280 spelling) accepted by the revoke routes; removeFromCRL is left out
#: (it belongs to delta CRLs).
REVOCATION_REASONS = {
    r.value: r for r in x509.ReasonFlags if r is not x509.ReasonFlags.remove_from_crl
}


def point_revocation_urls(ca: CertificateAuthority, public_url: PublicUrl) -> None:
    """Make the CA's next certificates point at `/ocsp`, `/crl` and `/ca.cer` (read at request
    time: the URLs are known only once the servers are bound): on the CA's plain-HTTP listener
    when the lab set one (`ca.urls.http_base`), else on this server's public URL."""
    base = ca.urls.http_base
    if base is None:
        if not public_url.is_set:
            raise Unavailable(
                "the server's public URL is not set yet; it cannot issue certificates"
            )
        base = public_url.get()
    ca.urls.ocsp = base + "/ocsp"
    ca.urls.crl = base + "/crl"
    ca.urls.ca_issuers = base + CA_CERT_PATH


def parse_reason(value: object) -> x509.ReasonFlags:
    if value is None:
        return x509.ReasonFlags.unspecified
    if not isinstance(value, str) or value not in REVOCATION_REASONS:
        raise BadRequest(f"reason must be one of {sorted(REVOCATION_REASONS)}")
    return REVOCATION_REASONS[value]


def ocsp_get_request(encoded: str) -> bytes:
    """The DER request of `GET /ocsp/{encoded}` (RFC 6960 A.1: base64 of the DER, URL-encoded;
    base64url is accepted too, padding optional)."""
    text = unquote(encoded).strip()
    text = text.replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("the path is not a base64 (URL-encoded) DER OCSP request") from None


def add_revocation_routes(app: web.Application, hierarchy: Hierarchy) -> None:
    def answer(der: bytes) -> web.Response:
        try:
            req = parse_request(der)
        except MalformedOcspRequest as e:
            raise BadRequest(
                f"the request is not an OCSP request this responder can answer: {e}"
            ) from None
        return web.Response(body=hierarchy.responder.answer(req), content_type=OCSP_RESPONSE)

    async def ocsp(request: web.Request) -> web.Response:
        """An OCSP answer (`unauthorized` for another CA's certificate, `unknown` for a serial
        the CA never issued); bytes that are not one answerable OCSP request (not DER, an
        unknown hash algorithm, hashes of the wrong length) are a 400 `malformed` problem."""
        return answer(await read_body(request, OCSP_REQUEST))

    async def ocsp_get(request: web.Request) -> web.Response:
        """The same answer for a request in the path (RFC 6960 A.1)."""
        raw = request.raw_path.split("?", 1)[0]
        return answer(ocsp_get_request(raw[len("/ocsp/") :]))

    async def crl(_: web.Request) -> web.Response:
        body = hierarchy.issuing.crl().public_bytes(Encoding.DER)
        return web.Response(body=body, content_type=PKIX_CRL)

    async def ca_cert(_: web.Request) -> web.Response:
        body = hierarchy.issuing.cert.public_bytes(Encoding.DER)
        return web.Response(body=body, content_type=PKIX_CERT)

    app.router.add_post("/ocsp", ocsp)
    app.router.add_get("/ocsp/{request:.+}", ocsp_get)
    app.router.add_get("/crl", crl)
    app.router.add_get(CA_CERT_PATH, ca_cert)


def http_app(hierarchy: Hierarchy, openapi: dict[str, object]) -> web.Application:
    """The CA's plain-HTTP listener: OCSP (POST and GET), the CRL and the CA certificate, and
    its OpenAPI document at `/openapi.json`; nothing else (no admin). A new CRL advances the
    CA's CRL number: where the CA keeps its records in a service's storage (build this after
    the service), that is committed before the CRL is answered, as on every other listener."""
    records = hierarchy.issuing.records
    outer = [commit_middleware(records)] if isinstance(records, Storage) else []
    app = web.Application(middlewares=[*outer, problem_middleware])
    add_revocation_routes(app, hierarchy)

    async def document(_: web.Request) -> web.Response:
        return web.json_response(copy.deepcopy(openapi))

    app.router.add_get("/openapi.json", document)
    return app
