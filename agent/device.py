"""An emulated device: hardware facts, its certificate store, secrets, camera, MDM enrollment and
the enrollment state machine. Subsystems are built lazily; an idle device is a few objects, with
no thread, task or HTTP session of its own."""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from keyring.backend import KeyringBackend

from trust_store.clock import Clock
from trust_store.pem import write_private
from trust_store.secrets import FileKeyring, MemoryKeyring
from trust_store.stores import CertificateStore
from trust_store.stores.android_keychain import AndroidKeyChain

from .camera import Camera, ScreenReader
from .enrollment import EnrollmentMachine
from .payloads import Artifact
from .platforms import Platform, platform

SECRET_SERVICE = "dcemu-device"


@dataclass
class DeviceSpec:
    id: str
    name: str
    platform: str
    os_version: str
    model: str
    upn: str
    camera_blocked: bool = False
    #: Networks the device is on: "internet", "corporate-wifi", "vpn" (on-premises reach).
    networks: list[str] = field(default_factory=lambda: ["internet"])
    enrollment_type: str = ""
    #: What the user answers when Android asks whether an app may use a certificate.
    approves_certificate_access: bool = True


class Device:
    def __init__(self, spec: DeviceSpec, clock: Clock, state_dir: Path | None = None) -> None:
        self.spec = spec
        self.clock = clock
        self.state_dir = state_dir
        self.platform: Platform = platform(spec.platform)
        self.camera = Camera(blocked_by_policy=spec.camera_blocked)
        self.machine = EnrollmentMachine(clock)
        self.mdm: dict[str, str] = {}
        self.applied: dict[str, Artifact] = {}
        #: Profiles the device could not apply, by policy id: the reason (reported to Intune).
        self.profile_errors: dict[str, str] = {}
        #: What was last reported to Intune per policy id: (version, status, detail).
        self.reported: dict[str, tuple[Any, str, str]] = {}
        self.notifications: list[dict[str, str]] = []
        self._store: CertificateStore | None = None
        self._keyring: KeyringBackend | None = None

    # --- identity -----------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def upn(self) -> str:
        return self.spec.upn

    def descriptor(self) -> dict[str, str]:
        return {
            "id": self.spec.id,
            "platform": self.spec.platform,
            "osVersion": self.spec.os_version,
            "model": self.spec.model,
        }

    def read_code(self, image: bytes) -> str:
        """Read the enrollment QR code: with the camera, or (Windows) from the PC's own screen."""
        reader = ScreenReader() if self.platform.code_from_screen else self.camera
        return reader.scan(image)

    # --- subsystems ---------------------------------------------------------------------------
    @property
    def keyring(self) -> KeyringBackend:
        if self._keyring is None:
            self._keyring = (
                FileKeyring(self.state_dir / "secrets") if self.state_dir else MemoryKeyring()
            )
        return self._keyring

    def secret(self, name: str, create: bool = True) -> str:
        """A per-device secret (key-encryption password, PKCS#12 passwords) from the keyring."""
        value: str | None = self.keyring.get_password(SECRET_SERVICE, f"{self.id}/{name}")
        if value is None and create:
            value = secrets.token_urlsafe(24)
            self.keyring.set_password(SECRET_SERVICE, f"{self.id}/{name}", value)
        if value is None:
            raise KeyError(name)
        return value

    @property
    def store(self) -> CertificateStore:
        if self._store is None:
            self._store = self.platform.new_store()
            self.platform.prepare_store(self._store)
            self._attach_user(self._store)
        return self._store

    def _attach_user(self, store: CertificateStore) -> None:
        """The device's user answers the store's prompts (Android certificate access)."""
        if isinstance(store, AndroidKeyChain):
            answer = self.spec.approves_certificate_access
            store.approver = lambda _package, _alias: answer

    # --- persistence --------------------------------------------------------------------------
    def save(self) -> None:
        if self.state_dir is None:
            return
        kek = self.secret("key-encryption").encode()
        doc: dict[str, Any] = {
            "spec": asdict(self.spec),
            "mdm": self.mdm,
            "machine": self.machine.to_json(),
            "store": self.store.to_json(kek),
            "applied": {
                k: {
                    **{
                        f: getattr(a, f)
                        for f in ("policy_id", "kind", "filename", "media_type", "summary")
                    }
                }
                for k, a in self.applied.items()
            },
            "notifications": self.notifications,
            "profileErrors": self.profile_errors,
        }
        write_private(self.state_dir / "device.json", json.dumps(doc, indent=1).encode())
        for art in self.applied.values():
            write_private(self.state_dir / "artifacts" / art.filename, art.content)

    @classmethod
    def load(cls, state_dir: Path, clock: Clock) -> Device:
        doc = json.loads((state_dir / "device.json").read_text())
        dev = cls(DeviceSpec(**doc["spec"]), clock, state_dir)
        dev.mdm = dict(doc["mdm"])
        dev.machine = EnrollmentMachine.from_json(doc["machine"], clock)
        kek = dev.secret("key-encryption", create=False).encode()
        dev._store = CertificateStore.from_json(doc["store"], kek)
        dev._attach_user(dev._store)
        for pid, a in doc.get("applied", {}).items():
            content = (state_dir / "artifacts" / a["filename"]).read_bytes()
            dev.applied[pid] = Artifact(
                a["policy_id"], a["kind"], a["filename"], a["media_type"], content, a["summary"]
            )
        dev.notifications = list(doc.get("notifications", []))
        dev.profile_errors = dict(doc.get("profileErrors", {}))
        return dev
