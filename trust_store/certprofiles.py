"""Certificate profiles as data: which extensions a certificate of each kind carries.

A profile plus a `Subject` gives the extension list; `ca.CertificateAuthority.issue` applies it.
The SP 800-157 / FPKI rules are in `oids.py` with their sources.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import uuid
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509 import ObjectIdentifier
from cryptography.x509.oid import NameOID

from . import oids


@dataclass(frozen=True)
class Subject:
    """Who a certificate is for. Only the fields a profile uses are read."""

    common_name: str
    organization: str = "dcemu lab"
    organizational_unit: str | None = None
    card_uuid: uuid.UUID | None = None
    upn: str | None = None
    email: str | None = None
    dns_names: tuple[str, ...] = ()
    ip_addresses: tuple[str, ...] = ()

    def name(self) -> x509.Name:
        attrs = [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organization),
        ]
        if self.organizational_unit:
            attrs.append(
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, self.organizational_unit)
            )
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, self.common_name))
        return x509.Name(attrs)

    def alt_names(self) -> list[x509.GeneralName]:
        names: list[x509.GeneralName] = []
        if self.card_uuid is not None:
            names.append(x509.UniformResourceIdentifier(self.card_uuid.urn))
        if self.upn:
            names.append(x509.OtherName(oids.MS_UPN, _der_utf8string(self.upn)))
        if self.email:
            names.append(x509.RFC822Name(self.email))
        names.extend(x509.DNSName(d) for d in self.dns_names)
        names.extend(x509.IPAddress(ipaddress.ip_address(i)) for i in self.ip_addresses)
        return names


def _der_utf8string(s: str) -> bytes:
    raw = s.encode()
    if len(raw) >= 128:
        length = len(raw).to_bytes((len(raw).bit_length() + 7) // 8, "big")
        return bytes([0x0C, 0x80 | len(length)]) + length + raw
    return bytes([0x0C, len(raw)]) + raw


_KU_FIELDS = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
)


@dataclass(frozen=True)
class CertProfile:
    name: str
    key_usage: frozenset[str]
    validity: dt.timedelta
    ekus: tuple[ObjectIdentifier, ...] = ()
    policies: tuple[ObjectIdentifier, ...] = ()
    ca: bool = False
    path_length: int | None = None
    #: subjectAltName entries to copy from the Subject (card UUID, UPN, email, DNS, IP).
    alt_names: bool = False
    piv_interim: bool = False
    #: AIA (OCSP) and CRL distribution point, when the issuing CA has URLs.
    revocation_pointers: bool = True
    ocsp_no_check: bool = False
    max_validity: dt.timedelta | None = None

    def key_usage_extension(self) -> x509.KeyUsage:
        unknown = self.key_usage - set(_KU_FIELDS)
        if unknown:
            raise ValueError(f"unknown key usages {sorted(unknown)}")
        flags = {f: f in self.key_usage for f in _KU_FIELDS}
        return x509.KeyUsage(**flags)


_DAY = dt.timedelta(days=1)

ROOT_CA = CertProfile(
    "root-ca",
    frozenset({"key_cert_sign", "crl_sign"}),
    20 * 365 * _DAY,
    ca=True,
    revocation_pointers=False,
)
ISSUING_CA = CertProfile(
    "issuing-ca",
    frozenset({"key_cert_sign", "crl_sign"}),
    10 * 365 * _DAY,
    policies=(oids.ANY_POLICY,),
    ca=True,
    path_length=0,
    revocation_pointers=False,
)
OCSP_RESPONDER = CertProfile(
    "ocsp-responder",
    frozenset({"digital_signature"}),
    2 * 365 * _DAY,
    ekus=(oids.EKU_OCSP_SIGNING,),
    ocsp_no_check=True,
    revocation_pointers=False,
)
TLS_SERVER = CertProfile(
    "tls-server",
    frozenset({"digital_signature"}),
    825 * _DAY,
    ekus=(oids.EKU_SERVER_AUTH, oids.EKU_CLIENT_AUTH),
    alt_names=True,
    revocation_pointers=False,
)
#: PIV Authentication certificate on the card (FPKI worksheet 9).
PIV_CARD_AUTH = CertProfile(
    "piv-card-authentication",
    frozenset({"digital_signature"}),
    6 * 365 * _DAY,
    ekus=(oids.EKU_CLIENT_AUTH, oids.EKU_PKINIT_CLIENT_AUTH, oids.EKU_SMARTCARD_LOGON),
    policies=(oids.FPKI_COMMON_AUTHENTICATION,),
    alt_names=True,
    piv_interim=True,
)
PIV_CARD_SIGNATURE = CertProfile(
    "piv-card-digital-signature",
    frozenset({"digital_signature", "content_commitment"}),
    3 * 365 * _DAY,
    ekus=(oids.EKU_EMAIL_PROTECTION,),
    policies=(oids.FPKI_COMMON_HARDWARE,),
    alt_names=True,
)
PIV_CARD_KEY_MANAGEMENT = CertProfile(
    "piv-card-key-management",
    frozenset({"key_encipherment"}),
    3 * 365 * _DAY,
    ekus=(oids.EKU_EMAIL_PROTECTION,),
    policies=(oids.FPKI_COMMON_HARDWARE,),
    alt_names=True,
)
#: Derived PIV Authentication (SP 800-157 appendix A, FPKI worksheet 15).
DERIVED_PIV_AUTH = CertProfile(
    "derived-piv-authentication",
    frozenset({"digital_signature"}),
    3 * 365 * _DAY,
    ekus=(oids.EKU_CLIENT_AUTH, oids.EKU_PKINIT_CLIENT_AUTH),
    policies=(oids.DERIVED_PIV_AUTH,),
    alt_names=True,
    piv_interim=True,
    max_validity=oids.DERIVED_MAX_VALIDITY,
)
#: Derived digital-signature certificate (SP 800-157r1 appendix A).
DERIVED_SIGNATURE = CertProfile(
    "derived-digital-signature",
    frozenset({"digital_signature", "content_commitment"}),
    3 * 365 * _DAY,
    ekus=(oids.EKU_EMAIL_PROTECTION,),
    policies=(oids.FPKI_COMMON_POLICY,),
    alt_names=True,
    max_validity=oids.DERIVED_MAX_VALIDITY,
)
