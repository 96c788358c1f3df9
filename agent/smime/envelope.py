"""CMS EnvelopedData as mail clients send it: who the recipients are (issuer and serial, subject
key identifier, or a kind no RSA key can open), and the DER EnvelopedData for one recipient that
`cryptography` can decrypt."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from .ber import (
    CTX0,
    CTX0_PRIMITIVE,
    OCTETS,
    SEQUENCE,
    SET,
    Node,
    integer,
    name,
    parse_ber,
    tlv,
)
from .errors import MalformedMessageError
from .mime import cms_der

#: [RFC 5652] id-envelopedData, DER-encoded OBJECT IDENTIFIER 1.2.840.113549.1.7.3.
_OID_ENVELOPED = bytes.fromhex("06092a864886f70d010703")
_OTHER_RECIPIENT_KINDS = {
    0xA1: "key agreement",
    0xA2: "key encryption key",
    0xA3: "password",
    0xA4: "other",
}


@dataclass(frozen=True)
class RecipientId:
    """Who an encrypted message is for: issuer and serial number, or subject key identifier."""

    issuer: x509.Name | None = None
    serial: int | None = None
    ski: bytes | None = None
    #: Not key transport (key agreement, KEK, password): no RSA key can open it.
    other: str | None = None

    def matches(self, cert: x509.Certificate) -> bool:
        if self.issuer is not None:
            return self.serial == cert.serial_number and self.issuer == cert.issuer
        if self.ski is not None:
            try:
                ext = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
            except x509.ExtensionNotFound:
                return False
            return ext.value.digest == self.ski
        return False

    def describe(self) -> str:
        if self.other is not None:
            return f"a {self.other} recipient"
        if self.ski is not None:
            return f"subject key identifier {self.ski.hex()}"
        issuer = self.issuer.rfc4514_string() if self.issuer is not None else "?"
        return f"serial {self.serial or 0:x} issued by {issuer}"


@dataclass
class Enveloped:
    recipients: list[tuple[RecipientId, Node]]
    content_info: Node  # EncryptedContentInfo

    @classmethod
    def parse(cls, ber: bytes) -> Enveloped:
        outer = parse_ber(ber).kids(2, "ContentInfo")
        if outer[0].der() != _OID_ENVELOPED:
            raise MalformedMessageError("not an encrypted message (no CMS enveloped-data)")
        env = outer[1].kids(1, "content")[0].kids(3, "EnvelopedData")
        i = 2 if env[1].tag == CTX0 else 1  # skip originatorInfo
        if env[i].tag != SET or len(env) < i + 2:
            raise MalformedMessageError("EnvelopedData without recipientInfos")
        return cls([(_recipient(r), r) for r in env[i].children or []], env[i + 1])

    def for_recipient(self, ktri: Node, cert: x509.Certificate) -> bytes:
        """DER EnvelopedData for one recipient, named by issuer and serial of `cert`."""
        _, _, key_alg, enc_key = ktri.kids(4, "KeyTransRecipientInfo")
        rid = tlv(SEQUENCE, cert.issuer.public_bytes() + integer(cert.serial_number))
        ri = tlv(SEQUENCE, integer(0) + rid + key_alg.der() + tlv(OCTETS, enc_key.flat()))
        ctype, alg, *rest = self.content_info.kids(2, "EncryptedContentInfo")
        eci = ctype.der() + alg.der()
        if rest:
            eci += tlv(CTX0_PRIMITIVE, rest[0].flat())
        env = integer(0) + tlv(SET, ri) + tlv(SEQUENCE, eci)
        return tlv(SEQUENCE, _OID_ENVELOPED + tlv(CTX0, tlv(SEQUENCE, env)))


def recipients_of(data: bytes) -> list[RecipientId]:
    """The recipient infos of an encrypted message (S/MIME, PEM, DER or BER)."""
    return [rid for rid, _ in Enveloped.parse(cms_der(data)).recipients]


def _recipient(node: Node) -> RecipientId:
    if node.tag in _OTHER_RECIPIENT_KINDS:
        return RecipientId(other=_OTHER_RECIPIENT_KINDS[node.tag])
    rid = node.kids(4, "KeyTransRecipientInfo")[1]
    if rid.tag == SEQUENCE:
        issuer, serial = rid.kids(2, "IssuerAndSerialNumber")[:2]
        return RecipientId(
            issuer=name(issuer), serial=int.from_bytes(serial.value, "big", signed=True)
        )
    if rid.tag == CTX0_PRIMITIVE:
        return RecipientId(ski=rid.value)
    raise MalformedMessageError(f"unknown recipient identifier tag {rid.tag:#x}")
