"""What renderers read from a derived credential's certificate: the account name (UPN or e-mail
from subjectAltName), SHA-1 thumbprints in the spellings native artifacts use, and the root the
identity chains to."""

from __future__ import annotations

from collections.abc import Iterable

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from trust_store.oids import MS_UPN
from trust_store.stores import Identity

_UTF8STRING = 0x0C


def _der_utf8string(der: bytes) -> str | None:
    """The text of a DER UTF8String (the UPN otherName's value), or None if it is not one."""
    if len(der) < 2 or der[0] != _UTF8STRING:
        return None
    length, offset = der[1], 2
    if length & 0x80:
        n = length & 0x7F
        length, offset = int.from_bytes(der[2 : 2 + n], "big"), 2 + n
    body = der[offset : offset + length]
    if len(body) != length:
        return None
    try:
        return body.decode()
    except UnicodeDecodeError:
        return None


def _alt_names(cert: x509.Certificate) -> x509.SubjectAlternativeName | None:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None


def upn(cert: x509.Certificate) -> str | None:
    """The Microsoft UPN otherName of subjectAltName."""
    san = _alt_names(cert)
    for other in san.get_values_for_type(x509.OtherName) if san else []:
        if other.type_id == MS_UPN:
            return _der_utf8string(other.value)
    return None


def email(cert: x509.Certificate) -> str | None:
    """The first rfc822Name of subjectAltName."""
    san = _alt_names(cert)
    found = san.get_values_for_type(x509.RFC822Name) if san else []
    return found[0] if found else None


def common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def account(cert: x509.Certificate) -> str:
    """The name the credential authenticates as: UPN, else e-mail, else the common name."""
    return upn(cert) or email(cert) or common_name(cert)


def sha1_hex(cert: x509.Certificate) -> str:
    """SHA-1 thumbprint, uppercase hex (certutil, PowerShell). SHA-1 only names the
    certificate here."""
    return cert.fingerprint(hashes.SHA1()).hex().upper()


def sha1_spaced(cert: x509.Certificate) -> str:
    """SHA-1 thumbprint as Windows EAP XML writes it: lowercase byte pairs with spaces."""
    return " ".join(f"{b:02x}" for b in cert.fingerprint(hashes.SHA1()))


def key_kind(cert: x509.Certificate) -> str:
    """`RSA`, `ECDSA256`, `ECDSA384` or `ECDSA521` (Apple's IKEv2 `CertificateType` values)."""
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return {256: "ECDSA256", 384: "ECDSA384", 521: "ECDSA521"}.get(key.curve.key_size, "")
    return ""


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def chain_root(identity: Identity, roots: Iterable[x509.Certificate]) -> x509.Certificate | None:
    """The self-signed root the identity chains to: the top of its chain if self-signed, else
    the trusted root that issued the top; None when no such root is known."""
    top = identity.chain[-1] if identity.chain else identity.cert
    if top.issuer == top.subject and _issued_by(top, top):
        return top
    for root in roots:
        if _issued_by(top, root):
            return root
    return None


def in_chain(identity: Identity, ca: x509.Certificate, roots: Iterable[x509.Certificate]) -> bool:
    """Whether `ca` is one of the identity's CA certificates or the root above them."""
    if any(c == ca for c in identity.chain):
        return True
    return chain_root(identity, roots) == ca
