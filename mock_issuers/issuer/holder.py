"""The cardholder as the issuer knows them: read from the validated PIV Authentication
certificate, never from anything the device sends."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

from trust_store.certprofiles import Subject
from trust_store.oids import MS_UPN

URN_UUID = "urn:uuid:"


class NotACardCertificate(ValueError):
    """The certificate lacks what a PIV Authentication certificate must carry."""


@dataclass(frozen=True)
class CardHolder:
    card_uuid: uuid.UUID
    upn: str
    subject: x509.Name
    common_name: str
    organization: str
    organizational_unit: str | None
    email: str | None
    #: The card's PIV Authentication certificate (its status is checked again at issuance).
    card_cert: x509.Certificate

    @classmethod
    def from_card(cls, cert: x509.Certificate) -> CardHolder:
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            raise NotACardCertificate("no subjectAltName (card UUID and UPN)") from None
        uuids = [
            u
            for u in san.get_values_for_type(x509.UniformResourceIdentifier)
            if u.lower().startswith(URN_UUID)
        ]
        if len(uuids) != 1:
            raise NotACardCertificate("subjectAltName must hold exactly one card UUID URN")
        try:
            card_uuid = uuid.UUID(uuids[0][len(URN_UUID) :])
        except ValueError:
            raise NotACardCertificate(f"{uuids[0]!r} is not a UUID URN") from None
        upns = [
            _utf8string(n.value)
            for n in san.get_values_for_type(x509.OtherName)
            if n.type_id == MS_UPN
        ]
        if len(upns) != 1:
            raise NotACardCertificate("subjectAltName must hold exactly one UPN")
        emails = san.get_values_for_type(x509.RFC822Name)
        return cls(
            card_uuid=card_uuid,
            upn=upns[0],
            subject=cert.subject,
            common_name=_attr(cert.subject, NameOID.COMMON_NAME) or str(card_uuid),
            organization=_attr(cert.subject, NameOID.ORGANIZATION_NAME) or "dcemu lab",
            organizational_unit=_attr(cert.subject, NameOID.ORGANIZATIONAL_UNIT_NAME),
            email=emails[0] if emails else None,
            card_cert=cert,
        )

    def same_user(self, upn: str) -> bool:
        """UPNs compare case-insensitively (as directory logons do)."""
        return self.upn.casefold() == upn.casefold()

    def derived_subject(self) -> Subject:
        """The derived certificates' subject: the card's names, the card's UUID and UPN."""
        return Subject(
            common_name=self.common_name,
            organization=self.organization,
            organizational_unit=self.organizational_unit,
            card_uuid=self.card_uuid,
            upn=self.upn,
            email=self.email,
        )

    def to_json(self) -> dict[str, str]:
        return {
            "subject": self.subject.rfc4514_string(),
            "cardUuid": str(self.card_uuid),
            "upn": self.upn,
        }


def _attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    attrs = name.get_attributes_for_oid(oid)
    if not attrs:
        return None
    value = attrs[0].value
    return value if isinstance(value, str) else value.decode(errors="replace")


def _utf8string(der: bytes) -> str:
    """Decode a DER UTF8String (tag 0x0C), as the UPN otherName carries."""
    if len(der) < 2 or der[0] != 0x0C:
        raise NotACardCertificate("UPN otherName is not a UTF8String")
    length, offset = der[1], 2
    if length & 0x80:
        n = length & 0x7F
        length, offset = int.from_bytes(der[2 : 2 + n], "big"), 2 + n
    if offset + length != len(der):
        raise NotACardCertificate("UPN otherName has a bad length")
    try:
        return der[offset:].decode("utf-8")
    except UnicodeDecodeError:
        raise NotACardCertificate("UPN otherName is not UTF-8") from None
