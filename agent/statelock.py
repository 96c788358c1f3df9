"""One agent at a time on a device's state directory.

`StateLock` holds an exclusive `flock` on `<state_dir>/.lock` while an agent works on the device
(a sync). A second agent (another process, or another `Device` object in this one) gets
`DeviceBusyError` at once and changes nothing. After taking the lock, the device checks that the
state on disk is the one it loaded (`revision`), so an agent that loaded the device before
another one saved it cannot write over newer state (`DeviceStateChangedError`).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from .errors import AgentError


class DeviceBusyError(AgentError):
    code = "device-busy"


class DeviceStateChangedError(AgentError):
    code = "device-state-changed"


class StateLock:
    def __init__(self, state_dir: Path, owner: str) -> None:
        self.path = state_dir / ".lock"
        self.owner = owner
        self._fd: int | None = None

    def __enter__(self) -> StateLock:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode(errors="replace").strip() or "another agent"
            os.close(fd)
            raise DeviceBusyError(
                f"{self.owner}: the state directory {self.path.parent} is in use by {holder}; "
                "wait for it to finish (one agent per device)"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}".encode())
        self._fd = fd
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
