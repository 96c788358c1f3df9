"""Secrets kept through `keyring`, with backends that work headless and per device.

The process-wide default keyring is never used: with no desktop keyring it refuses to store, and
`keyrings.alt` would silently fall back to an unlocked plaintext file. Each emulated device gets
its own backend instance: `FileKeyring` (a 0600 JSON file with `flock` and atomic rename, for
devices that persist) or `MemoryKeyring` (for the load runner's thousands of idle devices).
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from .errors import SecretStoreError


class MemoryKeyring(KeyringBackend):
    priority = 0  # never chosen as a process default

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._items: dict[str, dict[str, str]] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._items.get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self._items.setdefault(service, {})[username] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self._items[service][username]
        except KeyError as e:
            raise PasswordDeleteError(f"no secret {service}/{username}") from e


class FileKeyring(KeyringBackend):
    """One device's secrets in `<dir>/secrets.json` (mode 0600)."""

    priority = 0

    def __init__(self, directory: Path) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.directory = directory
        self.path = directory / "secrets.json"
        self._lock = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _locked(self, write: bool) -> tuple[int, dict[str, dict[str, str]]]:
        lock_fd = os.open(self.directory / ".secrets.lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(lock_fd, fcntl.LOCK_EX if write else fcntl.LOCK_SH)
        try:
            data = json.loads(self.path.read_text()) if self.path.exists() else {}
        except (OSError, ValueError) as e:
            os.close(lock_fd)
            raise SecretStoreError(f"secret store {self.path} is unreadable: {e}") from e
        return lock_fd, data

    def _write(self, data: dict[str, dict[str, str]]) -> None:
        tmp = self.path.with_name(f".secrets.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def get_password(self, service: str, username: str) -> str | None:
        with self._lock:
            fd, data = self._locked(write=False)
            os.close(fd)
        return data.get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._lock:
            fd, data = self._locked(write=True)
            try:
                data.setdefault(service, {})[username] = password
                self._write(data)
            finally:
                os.close(fd)

    def delete_password(self, service: str, username: str) -> None:
        with self._lock:
            fd, data = self._locked(write=True)
            try:
                if username not in data.get(service, {}):
                    raise PasswordDeleteError(f"no secret {service}/{username}")
                del data[service][username]
                self._write(data)
            finally:
                os.close(fd)
