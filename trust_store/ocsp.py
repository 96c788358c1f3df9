"""OCSP (RFC 6960): a delegated responder for a CA, and the relying party's side."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from .ca import CertificateAuthority, CertStatus
from .errors import OCSPError
from .keys import PrivateKey, hash_for

_DER = Encoding.DER

#: How long a "good" or "revoked" answer may be cached (nextUpdate - thisUpdate).
OCSP_VALIDITY = dt.timedelta(hours=1)


class MalformedOcspRequest(OCSPError):
    """Bytes that are not one OCSP request a responder can answer (RFC 6960 `malformedRequest`):
    not DER, more than one certificate, an unknown hash algorithm, or hashes whose length is
    not that algorithm's."""


def parse_request(request_der: bytes) -> ocsp.OCSPRequest:
    """The OCSP request in `request_der`, checked as far as answering it needs; else
    `MalformedOcspRequest` saying why."""
    try:
        req = ocsp.load_der_ocsp_request(request_der)
    except ValueError as e:
        raise MalformedOcspRequest(f"not a DER OCSP request for one certificate: {e}") from None
    try:
        algorithm = req.hash_algorithm
    except UnsupportedAlgorithm as e:
        raise MalformedOcspRequest(f"the CertID hash algorithm is not supported: {e}") from None
    for what, digest in (
        ("issuerNameHash", req.issuer_name_hash),
        ("issuerKeyHash", req.issuer_key_hash),
    ):
        if len(digest) != algorithm.digest_size:
            raise MalformedOcspRequest(
                f"{what} is {len(digest)} bytes, not the {algorithm.digest_size} of {algorithm.name}"
            )
    return req


@dataclass
class OcspResponder:
    """Answers for one CA, signing with a delegated responder certificate issued by that CA."""

    ca: CertificateAuthority
    key: PrivateKey
    cert: x509.Certificate

    def respond(self, request_der: bytes) -> bytes:
        """The DER answer to a DER request; a malformed request gets `malformedRequest`."""
        try:
            req = parse_request(request_der)
        except MalformedOcspRequest:
            return _error(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        return self.answer(req)

    def answer(self, req: ocsp.OCSPRequest) -> bytes:
        """The DER answer to a request `parse_request` accepted."""
        if not self._is_for_my_ca(req):
            return _error(ocsp.OCSPResponseStatus.UNAUTHORIZED)
        now = self.ca.clock.now()
        rec = self.ca.issued.get(req.serial_number)
        builder = ocsp.OCSPResponseBuilder()
        if rec is None:
            builder = builder.add_response_by_hash(
                issuer_name_hash=req.issuer_name_hash,
                issuer_key_hash=req.issuer_key_hash,
                serial_number=req.serial_number,
                algorithm=req.hash_algorithm,
                cert_status=ocsp.OCSPCertStatus.UNKNOWN,
                this_update=now,
                next_update=now + OCSP_VALIDITY,
                revocation_time=None,
                revocation_reason=None,
            )
        else:
            revoked = rec.revoked_at is not None
            builder = builder.add_response(
                cert=rec.cert,
                issuer=self.ca.cert,
                algorithm=req.hash_algorithm,
                cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
                this_update=now,
                next_update=now + OCSP_VALIDITY,
                revocation_time=rec.revoked_at,
                revocation_reason=rec.reason if revoked else None,
            )
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, self.cert).certificates(
            [self.cert]
        )
        nonce = _nonce(req)
        if nonce is not None:
            builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
        resp = builder.sign(self.key, hash_for(self.key))
        return _produced_at(resp.public_bytes(_DER), now, self.key)

    def _is_for_my_ca(self, req: ocsp.OCSPRequest) -> bool:
        probe = (
            ocsp.OCSPRequestBuilder()
            .add_certificate_by_hash(
                req.issuer_name_hash, req.issuer_key_hash, req.serial_number, req.hash_algorithm
            )
            .build()
        )
        mine = (
            ocsp.OCSPRequestBuilder()
            .add_certificate(self.cert, self.ca.cert, req.hash_algorithm)
            .build()
        )
        return (probe.issuer_name_hash, probe.issuer_key_hash) == (
            mine.issuer_name_hash,
            mine.issuer_key_hash,
        )


# --- producedAt from the lab clock ---------------------------------------------------------------
# cryptography's OCSPResponseBuilder stamps producedAt with the host's clock; the lab's answers
# must carry the lab clock's time (a ManualClock in the tests). `_produced_at` rewrites that one
# GeneralizedTime inside tbsResponseData (same length: YYYYMMDDHHMMSSZ) and signs it again.


def _tlv(buf: bytes, off: int) -> tuple[int, int, int]:
    """The tag at `off`, where its content starts and where it ends (DER, definite lengths)."""
    tag, first = buf[off], buf[off + 1]
    if first < 0x80:
        return tag, off + 2, off + 2 + first
    n = first & 0x7F
    length = int.from_bytes(buf[off + 2 : off + 2 + n], "big")
    return tag, off + 2 + n, off + 2 + n + length


def _children(buf: bytes) -> list[bytes]:
    """The encoded elements one after another in `buf` (a constructed value's content)."""
    out, off = [], 0
    while off < len(buf):
        _, _, end = _tlv(buf, off)
        out.append(buf[off:end])
        off = end
    return out


def _content(element: bytes) -> bytes:
    _, start, end = _tlv(element, 0)
    return element[start:end]


def _encode(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def _produced_at(response_der: bytes, now: dt.datetime, key: PrivateKey) -> bytes:
    """`response_der` (a successful OCSPResponse) with producedAt set to `now`, signed again."""
    status, wrapped = _children(_content(response_der))
    type_oid, basic_octets = _children(_content(_content(wrapped)))
    tbs, sig_alg, _signature, *certs = _children(_content(_content(basic_octets)))
    fields = _children(_content(tbs))
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%d%H%M%SZ").encode()
    fields = [_encode(0x18, stamp) if f[0] == 0x18 else f for f in fields]
    tbs = _encode(0x30, b"".join(fields))
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(tbs, padding.PKCS1v15(), hash_for(key))
    else:
        signature = key.sign(tbs, ec.ECDSA(hash_for(key)))
    basic = _encode(0x30, tbs + sig_alg + _encode(0x03, b"\x00" + signature) + b"".join(certs))
    response_bytes = _encode(0x30, type_oid + _encode(0x04, basic))
    return _encode(0x30, status + _encode(0xA0, response_bytes))


def _error(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(_DER)


def _nonce(req: ocsp.OCSPRequest) -> bytes | None:
    try:
        return req.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return None


# --- relying party -----------------------------------------------------------------------------


def build_request(
    cert: x509.Certificate, issuer: x509.Certificate, nonce: bytes | None = None
) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA256())
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(_DER)


def ocsp_url(cert: x509.Certificate) -> str | None:
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return None
    for desc in aia:
        if desc.access_method == x509.oid.AuthorityInformationAccessOID.OCSP and isinstance(
            desc.access_location, x509.UniformResourceIdentifier
        ):
            return desc.access_location.value
    return None


@dataclass(frozen=True)
class OcspAnswer:
    status: CertStatus
    this_update: dt.datetime
    next_update: dt.datetime | None
    revoked_at: dt.datetime | None


def check_response(
    response_der: bytes,
    cert: x509.Certificate,
    issuer: x509.Certificate,
    now: dt.datetime,
    nonce: bytes | None = None,
) -> OcspAnswer:
    """Parse and trust-check an OCSP response for `cert` (issued by `issuer`)."""
    try:
        resp = ocsp.load_der_ocsp_response(response_der)
    except ValueError as e:
        raise OCSPError(f"unparseable OCSP response: {e}") from e
    if resp.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise OCSPError(f"OCSP responder answered {resp.response_status.name}")
    if resp.serial_number != cert.serial_number:
        raise OCSPError("OCSP response is for another certificate")
    signer = _signer(resp, issuer)
    _verify_signature(signer, resp)
    if nonce is not None and _response_nonce(resp) != nonce:
        raise OCSPError("OCSP response nonce does not match the request")
    this_update = resp.this_update_utc
    next_update = resp.next_update_utc
    if this_update > now + dt.timedelta(minutes=5):
        raise OCSPError("OCSP response is from the future")
    if next_update is not None and next_update < now:
        raise OCSPError("OCSP response is stale (nextUpdate has passed)")
    status = {
        ocsp.OCSPCertStatus.GOOD: CertStatus.GOOD,
        ocsp.OCSPCertStatus.REVOKED: CertStatus.REVOKED,
        ocsp.OCSPCertStatus.UNKNOWN: CertStatus.UNKNOWN,
    }[resp.certificate_status]
    return OcspAnswer(status, this_update, next_update, resp.revocation_time_utc)


def _signer(resp: ocsp.OCSPResponse, issuer: x509.Certificate) -> x509.Certificate:
    """The CA itself, or a delegated responder certificate it issued with id-kp-OCSPSigning."""
    if _responder_matches(resp, issuer):
        return issuer
    for cand in resp.certificates:
        if not _responder_matches(resp, cand) or cand.issuer != issuer.subject:
            continue
        try:
            cand.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature) as e:
            raise OCSPError(f"OCSP responder certificate not issued by the CA: {e}") from e
        try:
            eku = cand.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound as e:
            raise OCSPError("OCSP responder certificate lacks id-kp-OCSPSigning") from e
        if ExtendedKeyUsageOID.OCSP_SIGNING not in eku:
            raise OCSPError("OCSP responder certificate lacks id-kp-OCSPSigning")
        return cand
    raise OCSPError("OCSP response is not signed by the CA or a responder it authorised")


def _responder_matches(resp: ocsp.OCSPResponse, cert: x509.Certificate) -> bool:
    if resp.responder_name is not None:
        return resp.responder_name == cert.subject
    pub = cert.public_key()
    if not isinstance(pub, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        return False
    return resp.responder_key_hash == x509.SubjectKeyIdentifier.from_public_key(pub).digest


def _verify_signature(signer: x509.Certificate, resp: ocsp.OCSPResponse) -> None:
    pub = signer.public_key()
    algo = resp.signature_hash_algorithm
    if algo is None:
        raise OCSPError("OCSP response has no signature hash algorithm")
    try:
        if isinstance(pub, rsa.RSAPublicKey):
            pub.verify(resp.signature, resp.tbs_response_bytes, padding.PKCS1v15(), algo)
        elif isinstance(pub, ec.EllipticCurvePublicKey):
            pub.verify(resp.signature, resp.tbs_response_bytes, ec.ECDSA(algo))
        else:
            raise OCSPError(f"unsupported OCSP signer key {type(pub).__name__}")
    except InvalidSignature as e:
        raise OCSPError("OCSP response signature does not verify") from e


def _response_nonce(resp: ocsp.OCSPResponse) -> bytes | None:
    try:
        return resp.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return None
