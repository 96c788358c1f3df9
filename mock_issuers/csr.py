"""PKCS#10 requests as the issuers and the card authority accept them: parseable, signed by the
key they carry (proof of possession), and with a key the FPKI profiles allow.

Whatever a request holds (an unknown key or signature algorithm, a key that cannot be loaded,
an RSA exponent other than 65537), the answer is a 400 `csr-invalid` problem, never a 500."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

from trust_store.keys import PublicKey, WeakKeyError, check_public_key

from .kinds import CsrInvalid


@dataclass(frozen=True)
class CheckedCsr:
    """A request whose signature verified and whose key is strong enough."""

    csr: x509.CertificateSigningRequest
    public_key: PublicKey


def parse_csr(der: bytes, what: str = "PKCS#10 request") -> x509.CertificateSigningRequest:
    try:
        return x509.load_der_x509_csr(der)
    except ValueError as e:
        raise CsrInvalid(f"{what} is not a DER PKCS#10 request: {e}") from e


def verify_possession(csr: x509.CertificateSigningRequest, what: str = "PKCS#10 request") -> None:
    """The request must be signed by the private key of the public key it carries."""
    try:
        valid = csr.is_signature_valid
    except (ValueError, TypeError, UnsupportedAlgorithm) as e:
        raise CsrInvalid(f"{what}: the signature cannot be checked: {e}") from e
    if not valid:
        raise CsrInvalid(
            f"{what}: the signature does not verify with the request's own public key "
            "(no proof of possession)"
        )


def check_key_strength(
    csr: x509.CertificateSigningRequest, what: str = "PKCS#10 request"
) -> PublicKey:
    try:
        return check_public_key(csr.public_key())
    except (WeakKeyError, ValueError, UnsupportedAlgorithm) as e:
        raise CsrInvalid(f"{what}: {e}") from e


def check_csr(der: bytes, what: str = "PKCS#10 request") -> CheckedCsr:
    """Parse, verify proof of possession and check key strength, in that order."""
    csr = parse_csr(der, what)
    verify_possession(csr, what)
    return CheckedCsr(csr, check_key_strength(csr, what))
