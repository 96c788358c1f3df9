"""JSON documents of what an issuer keeps in its storage: certificates, cardholders and times.

A cardholder is stored as their card's PIV Authentication certificate (everything `CardHolder`
holds is read from it, as at sign-in); a certificate an issuer signed is stored once, in its
CA's records (`issued/<CA>`), and referred to elsewhere by its serial number in hex.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from trust_store.ca import CertificateAuthority
from trust_store.clock import isoformat, parse_iso

from ..persistence import StoredStateError
from .holder import CardHolder

#: Finds a certificate this issuer's CA signed, by serial number.
CertLookup = Callable[[int], x509.Certificate]


def cert_b64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(Encoding.DER)).decode()


def cert_from_b64(text: str) -> x509.Certificate:
    return x509.load_der_x509_certificate(base64.b64decode(text))


def holder_doc(holder: CardHolder) -> str:
    return cert_b64(holder.card_cert)


def holder_from_doc(text: str) -> CardHolder:
    return CardHolder.from_card(cert_from_b64(text))


def serial_hex(serial: int) -> str:
    return f"{serial:x}"


def time_doc(t: dt.datetime | None) -> str | None:
    return None if t is None else isoformat(t)


def time_from_doc(text: str | None) -> dt.datetime | None:
    return None if text is None else parse_iso(text)


def lookup_in(ca: CertificateAuthority) -> CertLookup:
    """Certificates by serial from the CA's records (loaded before anything refers to them)."""

    def cert_of(serial: int) -> x509.Certificate:
        rec = ca.issued.get(serial)
        if rec is None:
            raise StoredStateError(f"{ca.name} holds no certificate with serial {serial:x}")
        return rec.cert

    return cert_of


def no_certificates(serial: int) -> x509.Certificate:
    raise StoredStateError(f"no certificate with serial {serial:x} is known here")
