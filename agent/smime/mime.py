"""MIME forms of S/MIME: the entity to sign or encrypt, headers on top, an application/pkcs7-mime
wrapper, and the CMS structure taken back out of a message (S/MIME, PEM, DER or BER)."""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
from collections.abc import Mapping
from email.message import Message

from .errors import MalformedMessageError

_SMIME_TYPES = ("application/pkcs7-mime", "application/x-pkcs7-mime")


def entity(message: bytes | str | Message) -> bytes:
    if isinstance(message, Message):
        return message.as_bytes(policy=email.policy.SMTP)
    return message.encode() if isinstance(message, str) else message


def with_headers(smime: bytes, headers: Mapping[str, str] | None) -> bytes:
    if not headers:
        return smime
    for name, value in headers.items():
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name or ":" in name:
            raise MalformedMessageError(f"header {name!r} is not a single line")
    return b"".join(f"{k}: {v}\r\n".encode() for k, v in headers.items()) + smime


def pkcs7_mime(der: bytes, smime_type: str) -> bytes:
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
