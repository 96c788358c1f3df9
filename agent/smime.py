"""S/MIME on the device: sign with the derived digital-signature identity, encrypt to RSA
recipients, and decrypt with whichever key of the key-management history the message names.

An app reaches the credential only through its platform store's rule (on iOS, the keychain access
group Company Portal shares with the managed apps; the native mail app is entitled by the S/MIME
profile), so every operation names the app and a refused app gets `SmimeAccessDeniedError`.

Signing and encryption are `cryptography`'s PKCS#7 builders. `cryptography` decrypts only DER
with issuerAndSerialNumber recipients, while mail clients (`openssl cms -stream`, Outlook) send
BER with indefinite lengths and sometimes subjectKeyIdentifier recipients: the message is read
with a small BER reader, the recipient infos are matched against the key history (SP 800-157r1
appendix A: earlier key-management keys stay on the device so old mail stays readable), and the
matching recipient is handed to `cryptography` re-encoded as DER.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.parser import BytesParser

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from trust_store.clock import Clock
from trust_store.errors import AccessDeniedError
from trust_store.stores import CertificateStore, CredentialRole, Identity

from .errors import AgentError

#: The iOS native mail app (it uses the derived credential through the shared access group).
IOS_MAIL_APP = "com.apple.mobilemail"

#: [RFC 5652] id-envelopedData, DER-encoded OBJECT IDENTIFIER 1.2.840.113549.1.7.3.
_OID_ENVELOPED = bytes.fromhex("06092a864886f70d010703")
_SMIME_TYPES = ("application/pkcs7-mime", "application/x-pkcs7-mime")
_SEQUENCE, _SET, _INTEGER, _OCTETS, _OCTETS_CONSTRUCTED = 0x30, 0x31, 0x02, 0x04, 0x24
_CTX0, _CTX0_PRIMITIVE = 0xA0, 0x80
_OTHER_RECIPIENT_KINDS = {
    0xA1: "key agreement",
    0xA2: "key encryption key",
    0xA3: "password",
    0xA4: "other",
}

ContentCipher = type[algorithms.AES128] | type[algorithms.AES256]


class SmimeError(AgentError):
    code = "smime-error"


class SmimeAccessDeniedError(SmimeError, AccessDeniedError):
    """The platform store refused the app the credential (not entitled, no grant)."""

    code = "smime-access-denied"


class NoSmimeIdentityError(SmimeError):
    code = "no-smime-identity"


class UnsupportedRecipientError(SmimeError):
    code = "unsupported-recipient"


class MalformedMessageError(SmimeError):
    code = "malformed-smime"


class NoMatchingKeyError(SmimeError):
    """No key of the key-management history is among the message's recipients."""

    code = "no-matching-key"

    def __init__(self, recipients: Sequence[RecipientId], held: Sequence[Identity]) -> None:
        named = "; ".join(r.describe() for r in recipients) or "none"
        keys = "; ".join(f"{i.label} (serial {i.cert.serial_number:x})" for i in held) or "none"
        super().__init__(
            f"the message is encrypted for {named}, but the key-management history holds {keys}"
        )
        self.recipients = list(recipients)
        self.held = list(held)


class DecryptionFailedError(SmimeError):
    code = "decryption-failed"


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


@dataclass(frozen=True)
class Decrypted:
    content: bytes
    #: The key-management identity that opened it (`current` is False for an earlier key).
    identity: Identity
    recipient: RecipientId

    def message(self) -> EmailMessage:
        return BytesParser(policy=email.policy.default).parsebytes(self.content)


@dataclass
class SmimeMail:
    """S/MIME for one app on one device; identities come from the device's store."""

    store: CertificateStore
    app: str
    #: When set, identities outside their validity at `clock.now()` are not used to sign.
    clock: Clock | None = None

    # --- identities -------------------------------------------------------------------------
    def _identities(self, role: CredentialRole, *, current_only: bool = True) -> list[Identity]:
        try:
            return self.store.identities(self.app, role, current_only=current_only)
        except AccessDeniedError as e:
            raise SmimeAccessDeniedError(f"S/MIME refused: {e}") from e

    def signing_identity(self) -> Identity:
        found = self._identities(CredentialRole.SIGNATURE)
        if self.clock is not None:
            now = self.clock.now()
            found = [
                i for i in found if i.cert.not_valid_before_utc <= now <= i.cert.not_valid_after_utc
            ]
        if not found:
            raise NoSmimeIdentityError(f"{self.app}: no valid derived digital-signature credential")
        return found[0]

    def encryption_certificate(self) -> x509.Certificate:
        """The user's own current key-management certificate (to encrypt to oneself)."""
        found = self._identities(CredentialRole.KEY_MANAGEMENT)
        if not found:
            raise NoSmimeIdentityError(f"{self.app}: no current key-management credential")
        return found[0].cert

    def key_history(self) -> list[Identity]:
        """Every key-management identity the app may use, current and earlier, newest first."""
        return self._identities(CredentialRole.KEY_MANAGEMENT, current_only=False)

    # --- sign -------------------------------------------------------------------------------
    def sign(
        self,
        message: bytes | str | Message,
        *,
        detached: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> bytes:
        """Sign a MIME entity: multipart/signed (detached) or application/pkcs7-mime (opaque),
        with the signer's certificate and its chain; `headers` (From, To, Subject) go on top."""
        ident = self.signing_identity()
        builder = (
            pkcs7.PKCS7SignatureBuilder()
            .set_data(_entity(message))
            .add_signer(ident.cert, ident.key, hashes.SHA256())
        )
        for cert in dict.fromkeys(c for c in ident.chain if c != ident.cert):
            builder = builder.add_certificate(cert)
        if detached:
            signed = builder.sign(Encoding.SMIME, [pkcs7.PKCS7Options.DetachedSignature])
        else:  # cryptography's S/MIME form is always multipart/signed: wrap the DER ourselves
            signed = _pkcs7_mime(builder.sign(Encoding.DER, []), "signed-data")
        return _with_headers(signed, headers)

    # --- encrypt ----------------------------------------------------------------------------
    def encrypt(
        self,
        message: bytes | str | Message,
        recipients: Sequence[x509.Certificate] = (),
        *,
        cipher: ContentCipher = algorithms.AES256,
        headers: Mapping[str, str] | None = None,
    ) -> bytes:
        """Encrypt a MIME entity to RSA recipients (to the user's own current key-management
        certificate when none is named) as application/pkcs7-mime enveloped-data."""
        recipients = list(recipients) or [self.encryption_certificate()]
        return encrypt_message(message, recipients, cipher=cipher, headers=headers)

    # --- decrypt ----------------------------------------------------------------------------
    def decrypt(self, data: bytes) -> Decrypted:
        """Decrypt with the key of the history that the message's recipient infos name."""
        der = cms_der(data)
        env = _Enveloped.parse(der)
        history = self.key_history()
        for rid, node in env.recipients:
            for ident in history:
                if rid.matches(ident.cert):
                    content = _decrypt(env.for_recipient(node, ident.cert), ident)
                    return Decrypted(content, ident, rid)
        raise NoMatchingKeyError([rid for rid, _ in env.recipients], history)


def encrypt_message(
    message: bytes | str | Message,
    recipients: Sequence[x509.Certificate],
    *,
    cipher: ContentCipher = algorithms.AES256,
    headers: Mapping[str, str] | None = None,
) -> bytes:
    if not recipients:
        raise UnsupportedRecipientError("an encrypted message needs at least one recipient")
    builder = pkcs7.PKCS7EnvelopeBuilder().set_data(_entity(message))
    for cert in recipients:
        _check_recipient(cert)
        builder = builder.add_recipient(cert)
    builder = builder.set_content_encryption_algorithm(cipher)
    return _with_headers(builder.encrypt(Encoding.SMIME, []), headers)


def recipients_of(data: bytes) -> list[RecipientId]:
    """The recipient infos of an encrypted message (S/MIME, PEM, DER or BER)."""
    return [rid for rid, _ in _Enveloped.parse(cms_der(data)).recipients]


def _check_recipient(cert: x509.Certificate) -> None:
    who = cert.subject.rfc4514_string()
    if not isinstance(cert.public_key(), rsa.RSAPublicKey):
        raise UnsupportedRecipientError(
            f"{who}: only RSA (key transport) recipients are supported, "
            f"not {type(cert.public_key()).__name__}"
        )
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not ku.key_encipherment:
        raise UnsupportedRecipientError(f"{who}: keyUsage lacks keyEncipherment")


def _decrypt(der: bytes, ident: Identity) -> bytes:
    if not isinstance(ident.key, rsa.RSAPrivateKey):
        raise DecryptionFailedError(f"{ident.label} is not an RSA key (no key transport)")
    try:
        return pkcs7.pkcs7_decrypt_der(der, ident.cert, ident.key, [])
    except UnsupportedAlgorithm as e:
        raise DecryptionFailedError(f"unsupported content encryption: {e}") from e
    except (ValueError, TypeError) as e:
        raise DecryptionFailedError(f"{ident.label} could not open the message: {e}") from e


# --- message forms ------------------------------------------------------------------------------


def _entity(message: bytes | str | Message) -> bytes:
    if isinstance(message, Message):
        return message.as_bytes(policy=email.policy.SMTP)
    return message.encode() if isinstance(message, str) else message


def _with_headers(smime: bytes, headers: Mapping[str, str] | None) -> bytes:
    if not headers:
        return smime
    for name, value in headers.items():
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name or ":" in name:
            raise MalformedMessageError(f"header {name!r} is not a single line")
    return b"".join(f"{k}: {v}\r\n".encode() for k, v in headers.items()) + smime


def _pkcs7_mime(der: bytes, smime_type: str) -> bytes:
    """An application/pkcs7-mime entity (RFC 8551 section 3.2) around a CMS structure."""
    body = base64.encodebytes(der).replace(b"\n", b"\r\n")
    return (
        b"MIME-Version: 1.0\r\n"
        b'Content-Disposition: attachment; filename="smime.p7m"\r\n'
        b"Content-Type: application/pkcs7-mime; smime-type=" + smime_type.encode() + b";"
        b' name="smime.p7m"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + body
    )


def cms_der(data: bytes) -> bytes:
    """The CMS structure of a message given as S/MIME (MIME), PEM, or DER/BER."""
    if data[:1] == b"\x30":
        return data
    head = data.lstrip()
    try:
        if head.startswith(b"-----BEGIN"):
            lines = [ln for ln in head.splitlines() if ln and not ln.startswith(b"-----")]
            return base64.b64decode(b"".join(lines), validate=True)
        msg = email.message_from_bytes(data, policy=email.policy.compat32)
    except (binascii.Error, ValueError) as e:
        raise MalformedMessageError(f"the message is not readable as PEM or MIME: {e}") from e
    if msg.get_content_type() not in _SMIME_TYPES:
        raise MalformedMessageError(
            f"not an S/MIME message: Content-Type is {msg.get_content_type()}"
        )
    payload = msg.get_payload(decode=True)
    if not isinstance(payload, bytes) or not payload:
        raise MalformedMessageError("the S/MIME part is empty")
    return payload


# --- BER reading and DER writing (just what EnvelopedData needs) -----------------------------


@dataclass
class _Node:
    tag: int
    value: bytes = b""
    children: list[_Node] | None = None

    def der(self) -> bytes:
        if self.children is None:
            return _tlv(self.tag, self.value)
        if self.tag == _OCTETS_CONSTRUCTED:
            return _tlv(_OCTETS, self.flat())
        parts = [c.der() for c in self.children]
        if self.tag == _SET:
            parts.sort()
        return _tlv(self.tag, b"".join(parts))

    def flat(self) -> bytes:
        """The contents of a string in primitive or constructed (segmented) form."""
        if self.children is None:
            return self.value
        return b"".join(c.flat() for c in self.children)

    def kids(self, n: int, what: str) -> list[_Node]:
        if self.children is None or len(self.children) < n:
            raise MalformedMessageError(f"{what}: expected {n} or more elements")
        return self.children


def _tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _integer(value: int) -> bytes:
    return _tlv(_INTEGER, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


#: String types that occur in names, and how their contents decode.
_STRINGS = {0x0C: "utf-8", 0x13: "ascii", 0x16: "ascii", 0x14: "latin-1", 0x1E: "utf-16-be"}


def _name(node: _Node) -> x509.Name:
    """An X.501 Name read from BER (RDN sequence of attribute type and value)."""
    rdns = []
    for rdn in node.children or []:
        attrs = []
        for atv in rdn.children or []:
            oid, value = atv.kids(2, "AttributeTypeAndValue")[:2]
            codec = _STRINGS.get(value.tag)
            if codec is None:
                raise MalformedMessageError(f"name attribute of string type {value.tag:#x}")
            text = value.flat().decode(codec, errors="replace")
            try:
                attrs.append(x509.NameAttribute(x509.ObjectIdentifier(_oid(oid.value)), text))
            except ValueError as e:
                raise MalformedMessageError(f"unreadable issuer name attribute: {e}") from e
        if not attrs:
            raise MalformedMessageError("empty relative distinguished name in the issuer")
        rdns.append(x509.RelativeDistinguishedName(attrs))
    return x509.Name(rdns)


def _oid(raw: bytes) -> str:
    arcs, acc = [], 0
    for b in raw:
        acc = (acc << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(acc)
            acc = 0
    if not arcs:
        raise MalformedMessageError("empty OBJECT IDENTIFIER")
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - 40 * first, *arcs[1:]])


def _parse_ber(buf: bytes) -> _Node:
    try:
        node, end = _read(buf, 0, len(buf))
    except (IndexError, RecursionError) as e:
        raise MalformedMessageError(f"truncated or too deeply nested BER: {e!r}") from e
    if end != len(buf):
        raise MalformedMessageError(f"{len(buf) - end} bytes after the CMS structure")
    return node


def _read(buf: bytes, pos: int, limit: int) -> tuple[_Node, int]:
    tag, first = buf[pos], buf[pos + 1]
    if tag & 0x1F == 0x1F:
        raise MalformedMessageError("high tag numbers do not occur in EnvelopedData")
    pos += 2
    constructed = bool(tag & 0x20)
    if first == 0x80:  # indefinite length: children up to end-of-contents
        if not constructed:
            raise MalformedMessageError("indefinite length on a primitive element")
        children = []
        while buf[pos : pos + 2] != b"\x00\x00":
            child, pos = _read(buf, pos, limit)
            children.append(child)
        if pos + 2 > limit:
            raise MalformedMessageError("an element runs past its container")
        return _Node(tag, children=children), pos + 2
    if first & 0x80:
        n = first & 0x7F
        if not 1 <= n <= 4:
            raise MalformedMessageError(f"length of {n} octets")
        length, pos = int.from_bytes(buf[pos : pos + n], "big"), pos + n
    else:
        length = first
    end = pos + length
    if end > limit:
        raise MalformedMessageError("an element runs past its container")
    if not constructed:
        return _Node(tag, buf[pos:end]), end
    children = []
    while pos < end:
        child, pos = _read(buf, pos, end)
        children.append(child)
    return _Node(tag, children=children), end


@dataclass
class _Enveloped:
    recipients: list[tuple[RecipientId, _Node]]
    content_info: _Node  # EncryptedContentInfo

    @classmethod
    def parse(cls, ber: bytes) -> _Enveloped:
        outer = _parse_ber(ber).kids(2, "ContentInfo")
        if outer[0].der() != _OID_ENVELOPED:
            raise MalformedMessageError("not an encrypted message (no CMS enveloped-data)")
        env = outer[1].kids(1, "content")[0].kids(3, "EnvelopedData")
        i = 2 if env[1].tag == _CTX0 else 1  # skip originatorInfo
        if env[i].tag != _SET or len(env) < i + 2:
            raise MalformedMessageError("EnvelopedData without recipientInfos")
        return cls([(_recipient(r), r) for r in env[i].children or []], env[i + 1])

    def for_recipient(self, ktri: _Node, cert: x509.Certificate) -> bytes:
        """DER EnvelopedData for one recipient, named by issuer and serial of `cert`."""
        _, _, key_alg, enc_key = ktri.kids(4, "KeyTransRecipientInfo")
        rid = _tlv(_SEQUENCE, cert.issuer.public_bytes() + _integer(cert.serial_number))
        ri = _tlv(_SEQUENCE, _integer(0) + rid + key_alg.der() + _tlv(_OCTETS, enc_key.flat()))
        ctype, alg, *rest = self.content_info.kids(2, "EncryptedContentInfo")
        eci = ctype.der() + alg.der()
        if rest:
            eci += _tlv(_CTX0_PRIMITIVE, rest[0].flat())
        env = _integer(0) + _tlv(_SET, ri) + _tlv(_SEQUENCE, eci)
        return _tlv(_SEQUENCE, _OID_ENVELOPED + _tlv(_CTX0, _tlv(_SEQUENCE, env)))


def _recipient(node: _Node) -> RecipientId:
    if node.tag in _OTHER_RECIPIENT_KINDS:
        return RecipientId(other=_OTHER_RECIPIENT_KINDS[node.tag])
    rid = node.kids(4, "KeyTransRecipientInfo")[1]
    if rid.tag == _SEQUENCE:
        issuer, serial = rid.kids(2, "IssuerAndSerialNumber")[:2]
        return RecipientId(
            issuer=_name(issuer), serial=int.from_bytes(serial.value, "big", signed=True)
        )
    if rid.tag == _CTX0_PRIMITIVE:
        return RecipientId(ski=rid.value)
    raise MalformedMessageError(f"unknown recipient identifier tag {rid.tag:#x}")
