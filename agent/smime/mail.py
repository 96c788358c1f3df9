"""S/MIME for one app on one device: its identities (through the platform store's access rule),
signing, encryption to RSA recipients, and decryption with any key of the key-management
history."""

from __future__ import annotations

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

from .envelope import Enveloped, RecipientId
from .errors import (
    DecryptionFailedError,
    NoMatchingKeyError,
    NoSmimeIdentityError,
    SmimeAccessDeniedError,
    UnsupportedRecipientError,
)
from .mime import cms_der, entity, pkcs7_mime, with_headers

#: The iOS native mail app (it uses the derived credential through the shared access group).
IOS_MAIL_APP = "com.apple.mobilemail"

ContentCipher = type[algorithms.AES128] | type[algorithms.AES256]


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
            .set_data(entity(message))
            .add_signer(ident.cert, ident.key, hashes.SHA256())
        )
        for cert in dict.fromkeys(c for c in ident.chain if c != ident.cert):
            builder = builder.add_certificate(cert)
        if detached:
            signed = builder.sign(Encoding.SMIME, [pkcs7.PKCS7Options.DetachedSignature])
        else:  # cryptography's S/MIME form is always multipart/signed: wrap the DER ourselves
            signed = pkcs7_mime(builder.sign(Encoding.DER, []), "signed-data")
        return with_headers(signed, headers)

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
        env = Enveloped.parse(der)
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
    builder = pkcs7.PKCS7EnvelopeBuilder().set_data(entity(message))
    for cert in recipients:
        _check_recipient(cert)
        builder = builder.add_recipient(cert)
    builder = builder.set_content_encryption_algorithm(cipher)
    return with_headers(builder.encrypt(Encoding.SMIME, []), headers)


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
