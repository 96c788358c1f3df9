"""Test-side helpers for the mock issuers: a software PIV card, CSRs (good and bad), a QR
scanner and problem assertions. Nothing here imports `agent`."""

from __future__ import annotations

import base64
import io
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import zxingcpp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from PIL import Image

from trust_store.keys import KeyAlgorithm, PrivateKey, generate_key
from trust_store.pkcs import load_certs_only
from trust_store.problems import PROBLEM_JSON, TYPE_BASE

DER = serialization.Encoding.DER


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def ec_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 key, typed as the EC key it is."""
    key = generate_key(KeyAlgorithm.EC_P256)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def csr_der(key: PrivateKey | rsa.RSAPrivateKey, cn: str = "device key") -> bytes:
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(DER)


def _tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _read_tlv(der: bytes, offset: int) -> tuple[int, int]:
    """(start of content, end) of the TLV at `offset`."""
    first = der[offset + 1]
    if first < 0x80:
        return offset + 2, offset + 2 + first
    n = first & 0x7F
    length = int.from_bytes(der[offset + 2 : offset + 2 + n], "big")
    return offset + 2 + n, offset + 2 + n + length


def csr_signed_by_other_key(
    subject_key: ec.EllipticCurvePrivateKey, signer: ec.EllipticCurvePrivateKey
) -> bytes:
    """A well-formed PKCS#10 carrying `subject_key`'s public key but signed by `signer`: no
    proof of possession. Built by hand: CertificationRequest ::= SEQUENCE { info, alg, sig }."""
    good = x509.load_der_x509_csr(csr_der(subject_key))
    der = good.public_bytes(DER)
    start, _ = _read_tlv(der, 0)
    _, info_end = _read_tlv(der, start)
    _, alg_end = _read_tlv(der, info_end)
    info, alg = der[start:info_end], der[info_end:alg_end]
    signature = signer.sign(good.tbs_certrequest_bytes, ec.ECDSA(hashes.SHA256()))
    return _tlv(0x30, info + alg + _tlv(0x03, b"\x00" + signature))


def tampered(der: bytes) -> bytes:
    """The CSR with one byte of its subject's common name changed (signature breaks)."""
    marker = b"device key"
    i = der.index(marker)
    return der[:i] + b"Device key" + der[i + len(marker) :]


@dataclass
class SoftCard:
    """A PIV card in software: keys generated "on the card", certificates from the card
    authority's answer."""

    name: str
    upn: str
    auth_key: ec.EllipticCurvePrivateKey
    sig_key: ec.EllipticCurvePrivateKey
    answer: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def new(cls, name: str, upn: str) -> SoftCard:
        return cls(name, upn, ec_key(), ec_key())

    def request(self, history: int = 0, password: str = "card-p12") -> dict[str, Any]:
        return {
            "user": {"name": self.name, "upn": self.upn, "email": self.upn},
            "csrs": {
                "pivAuthentication": b64(csr_der(self.auth_key)),
                "digitalSignature": b64(csr_der(self.sig_key)),
            },
            "keyManagementHistory": history,
            "p12Password": password,
        }

    @property
    def uuid(self) -> str:
        return str(self.answer["cardUuid"])

    @property
    def auth_cert(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(
            self.answer["certificates"]["pivAuthentication"].encode()
        )

    @property
    def chain(self) -> list[x509.Certificate]:
        return x509.load_pem_x509_certificates(self.answer["chain"].encode())

    def auth_cert_uuid(self) -> uuid.UUID:
        return uuid.UUID(self.uuid)

    def override(self, auth_cert: x509.Certificate, chain: list[x509.Certificate]) -> None:
        """Carry another PIV Authentication certificate (a forged or mis-profiled card)."""
        self.answer["certificates"] = {
            **self.answer["certificates"],
            "pivAuthentication": auth_cert.public_bytes(serialization.Encoding.PEM).decode(),
        }
        self.answer["chain"] = b"".join(
            c.public_bytes(serialization.Encoding.PEM) for c in chain
        ).decode()


def scan_qr(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1, f"expected one QR code, found {len(results)}"
    return str(results[0].text)


def device_body(token: str, upn: str, password: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "token": token,
        "upn": upn,
        "device": {"id": "dev-1", "platform": "ios", "osVersion": "18.1", "model": "iPhone16,1"},
    }
    if password is not None:
        body["password"] = password
    return body


async def expect_problem(resp: aiohttp.ClientResponse, status: int, kind: str) -> dict[str, Any]:
    body = await resp.read()
    assert resp.status == status, f"{resp.status} {body[:300]!r}"
    assert resp.content_type == PROBLEM_JSON, resp.content_type
    doc: dict[str, Any] = await resp.json(content_type=None)
    assert doc["type"] == TYPE_BASE + kind, doc
    assert doc["status"] == status
    return doc


def weak_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


def split_certs_only(der: bytes) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """(leaf, CA certificates) of a PKCS#7 certs-only: a SET OF, so DER sorts its members and
    the order on the wire says nothing; the leaf is the one certificate that is not a CA."""
    certs = load_certs_only(der)
    leaves = [
        c for c in certs if not c.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    ]
    assert len(leaves) == 1, certs
    return leaves[0], [c for c in certs if c is not leaves[0]]
