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

Modules: `mail` (the per-app `SmimeMail`: identities, sign, encrypt, decrypt), `mime` (MIME
entities and headers, getting the CMS structure out of a message), `envelope` (recipient infos of
EnvelopedData and its DER re-encoding for one recipient), `ber` (BER reading, DER writing),
`errors`.
"""

from __future__ import annotations

from .envelope import RecipientId, recipients_of
from .errors import (
    DecryptionFailedError,
    MalformedMessageError,
    NoMatchingKeyError,
    NoSmimeIdentityError,
    SmimeAccessDeniedError,
    SmimeError,
    UnsupportedRecipientError,
)
from .mail import IOS_MAIL_APP, ContentCipher, Decrypted, SmimeMail, encrypt_message
from .mime import cms_der

__all__ = [
    "IOS_MAIL_APP",
    "ContentCipher",
    "Decrypted",
    "DecryptionFailedError",
    "MalformedMessageError",
    "NoMatchingKeyError",
    "NoSmimeIdentityError",
    "RecipientId",
    "SmimeAccessDeniedError",
    "SmimeError",
    "SmimeMail",
    "UnsupportedRecipientError",
    "cms_der",
    "encrypt_message",
    "recipients_of",
]
