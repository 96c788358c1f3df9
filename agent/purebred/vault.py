"""What the DISA Purebred app holds: its keys with their certificates (the vault), and what other
apps see of them (the file provider: PKCS#12 files under the app's share password).

The vault is persisted with the device, each key encrypted under the device's key-encryption
key, so a device reloaded from its state directory still holds what its Purebred app obtained.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from trust_store.keys import load_private_key_pem, private_key_pem
from trust_store.pkcs import KeyAndCert, from_pkcs12, to_pkcs12
from trust_store.stores import CredentialRole


class KeyType(StrEnum):
    AUTHENTICATION = "authentication"
    SIGNATURE = "signature"
    ENCRYPTION = "encryption"
    DEVICE = "device"

    @property
    def role(self) -> CredentialRole | None:
        """The credential role this key type plays in the receiving app's store (None: the
        device key stays with Purebred)."""
        return _ROLE.get(self)

    @classmethod
    def of_kind(cls, kind: str) -> KeyType:
        """The key type of a certificate kind (`pivAuthentication`, ...)."""
        role = CredentialRole(kind)
        return next(t for t, r in _ROLE.items() if r is role)


_ROLE = {
    KeyType.AUTHENTICATION: CredentialRole.PIV_AUTH,
    KeyType.SIGNATURE: CredentialRole.SIGNATURE,
    KeyType.ENCRYPTION: CredentialRole.KEY_MANAGEMENT,
}


class ShareFilter(StrEnum):
    ALL = "all"
    SIGNATURE = "signature"
    ENCRYPTION = "encryption"
    AUTHENTICATION = "authentication"
    DEVICE = "device"

    def admits(self, key_type: KeyType) -> bool:
        return self is ShareFilter.ALL or self.value == key_type.value


def _der(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(Encoding.DER)).decode()


def _cert(b64: str) -> x509.Certificate:
    return x509.load_der_x509_certificate(base64.b64decode(b64))


@dataclass(frozen=True)
class HeldKey:
    type: KeyType
    item: KeyAndCert
    #: False for earlier key-management keys (decrypt-only).
    current: bool = True

    @property
    def serial(self) -> str:
        return f"{self.item.cert.serial_number:x}"

    @property
    def file_name(self) -> str:
        return f"{self.item.friendly_name or self.type.value}-{self.serial[:8]}.p12"

    def to_json(self, kek: bytes) -> dict[str, Any]:
        return {
            "type": self.type.value,
            "current": self.current,
            "name": self.item.friendly_name,
            "key": private_key_pem(self.item.key, kek).decode(),
            "cert": _der(self.item.cert),
            "cas": [_der(c) for c in self.item.cas],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any], kek: bytes) -> HeldKey:
        item = KeyAndCert(
            load_private_key_pem(d["key"].encode(), kek),
            _cert(d["cert"]),
            d.get("name", ""),
            tuple(_cert(c) for c in d.get("cas", [])),
        )
        return cls(KeyType(d["type"]), item, bool(d.get("current", True)))


class Vault:
    """The app's keys, newest first on selection."""

    def __init__(self, held: list[HeldKey] | None = None) -> None:
        self.held: list[HeldKey] = list(held or [])

    def add(self, key: HeldKey) -> bool:
        """Keep `key` unless a key with the same certificate is held already."""
        if any(h.serial == key.serial for h in self.held):
            return False
        self.held.append(key)
        return True

    def select(
        self, share_filter: ShareFilter = ShareFilter.ALL, *, all_versions: bool = False
    ) -> list[HeldKey]:
        """Held keys of the filter's types, newest first; by default only the newest of each."""
        held = [h for h in self.held if share_filter.admits(h.type)]
        held.sort(key=lambda h: h.item.cert.not_valid_before_utc, reverse=True)
        if all_versions:
            return held
        newest: dict[KeyType, HeldKey] = {}
        for h in held:
            newest.setdefault(h.type, h)
        return list(newest.values())

    def __len__(self) -> int:
        return len(self.held)

    def to_json(self, kek: bytes) -> list[dict[str, Any]]:
        return [h.to_json(kek) for h in self.held]

    @classmethod
    def from_json(cls, items: list[dict[str, Any]], kek: bytes) -> Vault:
        return cls([HeldKey.from_json(d, kek) for d in items])


@dataclass(frozen=True)
class SharedFile:
    """One entry of the file provider: a PKCS#12 under the app's share password."""

    name: str
    type: KeyType
    current: bool
    pkcs12: bytes


class FileProvider:
    """What other apps see of the Purebred app's keys (iOS file-provider extension)."""

    def __init__(self, vault: Vault, share_password: str) -> None:
        self._vault = vault
        self._password = share_password

    def list(
        self, share_filter: ShareFilter = ShareFilter.ALL, *, all_versions: bool = False
    ) -> list[SharedFile]:
        password = self._password.encode()
        return [
            SharedFile(h.file_name, h.type, h.current, to_pkcs12(h.item, password))
            for h in self._vault.select(share_filter, all_versions=all_versions)
        ]


def open_shared(file: SharedFile, password: str) -> KeyAndCert:
    """What the receiving app does with a shared file and the password the user typed."""
    return from_pkcs12(file.pkcs12, password.encode())
