"""Revocation status for what a server's CA issued: `POST /ocsp` (RFC 6960) and `GET /crl`
(RFC 5280), and the pointers (AIA, CRL distribution point) its certificates carry."""

from __future__ import annotations

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from servicekit.problems import BadRequest, Unavailable
from trust_store.ca import CertificateAuthority
from trust_store.labpki import Hierarchy
from trust_store.ocsp import MalformedOcspRequest, parse_request

from .settings import PublicUrl
from .wire import read_body

OCSP_REQUEST = "application/ocsp-request"
OCSP_RESPONSE = "application/ocsp-response"
PKIX_CRL = "application/pkix-crl"

#: CRL reason names (RFC 5280 spelling) accepted by the revoke routes; removeFromCRL is left out
#: (it belongs to delta CRLs).
REVOCATION_REASONS = {
    r.value: r for r in x509.ReasonFlags if r is not x509.ReasonFlags.remove_from_crl
}


def point_revocation_urls(ca: CertificateAuthority, public_url: PublicUrl) -> None:
    """Make the CA's next certificates point at this server's `/ocsp` and `/crl` (read at
    request time: the public URL is known only once the server is bound)."""
    if not public_url.is_set:
        raise Unavailable("the server's public URL is not set yet; it cannot issue certificates")
    ca.urls.ocsp = public_url.join("/ocsp")
    ca.urls.crl = public_url.join("/crl")


def parse_reason(value: object) -> x509.ReasonFlags:
    if value is None:
        return x509.ReasonFlags.unspecified
    if not isinstance(value, str) or value not in REVOCATION_REASONS:
        raise BadRequest(f"reason must be one of {sorted(REVOCATION_REASONS)}")
    return REVOCATION_REASONS[value]


def add_revocation_routes(app: web.Application, hierarchy: Hierarchy) -> None:
    async def ocsp(request: web.Request) -> web.Response:
        """An OCSP answer (`unauthorized` for another CA's certificate, `unknown` for a serial
        the CA never issued); bytes that are not one answerable OCSP request (not DER, an
        unknown hash algorithm, hashes of the wrong length) are a 400 `malformed` problem."""
        der = await read_body(request, OCSP_REQUEST)
        try:
            req = parse_request(der)
        except MalformedOcspRequest as e:
            raise BadRequest(
                f"the body is not an OCSP request this responder can answer: {e}"
            ) from None
        return web.Response(body=hierarchy.responder.answer(req), content_type=OCSP_RESPONSE)

    async def crl(_: web.Request) -> web.Response:
        body = hierarchy.issuing.crl().public_bytes(Encoding.DER)
        return web.Response(body=body, content_type=PKIX_CRL)

    app.router.add_post("/ocsp", ocsp)
    app.router.add_get("/crl", crl)
