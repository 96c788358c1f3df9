"""Escrowed private keys at rest: sealed with AES-256-GCM before they reach the storage.

The sealing key is the lab PKI's `data_key("escrow")`: a 256-bit secret kept with the CA keys in
the state directory's `pki/` folder (0600), or made for the PKI's lifetime without a state
directory. Each seal has a fresh 96-bit nonce from the operating system (never from the seeded
randomness, which repeats after a restart) and binds the key to its card and slot (associated
data), so a sealed key moved to another record does not open.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_der_private_key,
)

from trust_store.keys import PrivateKey
from trust_store.labpki import LabPKI

NONCE_BYTES = 12
#: The name of the sealing key in the lab PKI.
DATA_KEY = "escrow"


class VaultError(RuntimeError):
    """A sealed key that does not open (another sealing key, or a damaged record)."""


class KeyVault:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    @classmethod
    def of(cls, pki: LabPKI) -> KeyVault:
        return cls(pki.data_key(DATA_KEY))

    def seal(self, key: PrivateKey, label: str) -> str:
        der = key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
        nonce = os.urandom(NONCE_BYTES)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, der, label.encode())).decode()

    def open(self, sealed: str, label: str) -> PrivateKey:
        raw = base64.b64decode(sealed)
        try:
            der = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], label.encode())
        except InvalidTag:
            raise VaultError(
                f"the escrowed key {label} does not open with this lab's key"
            ) from None
        key = load_der_private_key(der, None)
        if not isinstance(key, PrivateKey):
            raise VaultError(f"the escrowed key {label} is a {type(key).__name__}")
        return key
