"""iOS/iPadOS trusted certificate profile (`iosTrustedRootCertificate`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography import x509

from ..fields import Base64, Text
from ..platforms import Platform
from ..problems import field_error
from .base import GRAPH_NS, ProfileType, register


@dataclass(frozen=True, kw_only=True)
class CaCertificate(Base64):
    """Base64 DER of an X.509 certificate whose basicConstraints say it is a CA."""

    def check(self, value: Any, path: str) -> Any:
        der = self.decode(value, path)
        try:
            cert = x509.load_der_x509_certificate(der)
        except ValueError as e:
            raise field_error(path, f"is not a DER X.509 certificate: {e}") from e
        try:
            bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        except x509.ExtensionNotFound:
            bc = None
        except ValueError as e:
            raise field_error(path, f"has unreadable extensions: {e}") from e
        if bc is None or not bc.ca:
            raise field_error(path, "is not a CA certificate (basicConstraints cA is not true)")
        return value


@register
class IosTrustedRootCertificate(ProfileType):
    odata_type = GRAPH_NS + "iosTrustedRootCertificate"
    platform = Platform.IOS
    fields = (
        CaCertificate(name="trustedRootCertificate", required=True),
        Text(name="certFileName", max_length=260),
    )
