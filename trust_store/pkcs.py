"""PKCS#7 certs-only bundles and PKCS#12 files, as the issuers send them and devices read them.

`cryptography` writes one key per PKCS#12 file, so a key history travels as one PKCS#12 per key
(as Purebred delivers escrowed keys: one PKCS#12 payload per key), each named by friendlyName.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    pkcs7,
    pkcs12,
)

from .errors import TrustStoreError
from .keys import PrivateKey


class PkcsError(TrustStoreError):
    """A PKCS#7 or PKCS#12 structure could not be read."""


def certs_only(certs: Sequence[x509.Certificate]) -> bytes:
    """A degenerate PKCS#7 SignedData (certs-only), DER, as EST simpleenroll returns."""
    return pkcs7.serialize_certificates(list(certs), Encoding.DER)


def load_certs_only(der: bytes) -> list[x509.Certificate]:
    try:
        return pkcs7.load_der_pkcs7_certificates(der)
    except ValueError as e:
        raise PkcsError(f"not a PKCS#7 certs-only structure: {e}") from e


@dataclass(frozen=True)
class KeyAndCert:
    key: PrivateKey
    cert: x509.Certificate
    friendly_name: str
    cas: tuple[x509.Certificate, ...] = ()


def split_leaf(
    certs: Sequence[x509.Certificate], key: PrivateKey
) -> tuple[x509.Certificate, tuple[x509.Certificate, ...]] | None:
    """The certificate for `key` and the others, from a PKCS#7 answer (a SET of certificates,
    so the leaf is found by its public key, not its position); None when no single certificate
    matches the key."""
    public = key.public_key()
    leaf = [c for c in certs if c.public_key() == public]
    if len(leaf) != 1:
        return None
    return leaf[0], tuple(c for c in certs if c is not leaf[0])


def to_pkcs12(item: KeyAndCert, password: bytes) -> bytes:
    if not password:
        raise PkcsError("a PKCS#12 file needs a password")
    return pkcs12.serialize_key_and_certificates(
        item.friendly_name.encode(),
        item.key,
        item.cert,
        list(item.cas),
        BestAvailableEncryption(password),
    )


def from_pkcs12(data: bytes, password: bytes) -> KeyAndCert:
    try:
        p12 = pkcs12.load_pkcs12(data, password)
    except ValueError as e:
        raise PkcsError(f"PKCS#12 could not be opened (wrong password or corrupt file): {e}") from e
    if p12.key is None or p12.cert is None:
        raise PkcsError("PKCS#12 holds no key and certificate")
    if not isinstance(p12.key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise PkcsError(f"PKCS#12 key type {type(p12.key).__name__} is not supported")
    name = (p12.cert.friendly_name or b"").decode(errors="replace")
    return KeyAndCert(
        p12.key, p12.cert.certificate, name, tuple(c.certificate for c in p12.additional_certs)
    )
