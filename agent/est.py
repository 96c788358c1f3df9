"""The device's side of EST-style issuance (docs/protocol.md), shared by every client that sends
certificate requests: the credential app's issuers, the Purebred app and MyID re-key.

`simpleenroll` takes a base64 PKCS#10 under a bearer token and answers a base64 PKCS#7
certs-only bundle; the CSR proves possession only, the issuer takes the subject from its records.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from trust_store.keys import PrivateKey, hash_for
from trust_store.pkcs import load_certs_only

from .errors import EnrollmentError, UnsupportedError

PKCS10 = "application/pkcs10"
PKCS7_MIME = "application/pkcs7-mime"
#: EST label per credential kind.
EST_LABELS = {"pivAuthentication": "pivauth", "digitalSignature": "signature"}


def device_csr(key: PrivateKey) -> x509.CertificateSigningRequest:
    """A CSR that proves possession of `key`; its subject is empty."""
    return (
        x509.CertificateSigningRequestBuilder().subject_name(x509.Name([])).sign(key, hash_for(key))
    )


@dataclass(frozen=True)
class SimpleEnroll:
    """One `simpleenroll` request, ready for `Transport.request(**request.kwargs())`."""

    url: str
    data: bytes
    headers: dict[str, str]
    during: str

    @classmethod
    def build(
        cls, base_url: str, access_token: str, kind: str, csr: x509.CertificateSigningRequest, *,
        issuer: str,
    ) -> SimpleEnroll:  # fmt: skip
        label = EST_LABELS.get(kind)
        if label is None:
            raise UnsupportedError(f"{issuer} does not issue {kind} certificates by request")
        return cls(
            f"{base_url}/.well-known/est/{label}/simpleenroll",
            base64.b64encode(csr.public_bytes(Encoding.DER)),
            {
                "Authorization": f"Bearer {access_token}",
                "Content-Type": PKCS10,
                "Content-Transfer-Encoding": "base64",
            },
            f"{issuer} certificate request ({kind})",
        )

    def kwargs(self) -> dict[str, Any]:
        return {"data": self.data, "headers": self.headers, "during": self.during}

    def certificates(self, content_type: str, body: bytes) -> list[x509.Certificate]:
        """The issued certificates out of the answer (the leaf is found by key, not order)."""
        if content_type != PKCS7_MIME:
            raise EnrollmentError(f"{self.during}: answered {content_type}, expected {PKCS7_MIME}")
        return load_certs_only(base64.b64decode(body))
