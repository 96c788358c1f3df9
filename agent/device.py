"""An emulated device: hardware facts, its certificate store, secrets, camera, MDM enrollment and
the enrollment state machine. Subsystems are built lazily; an idle device is a few objects, with
no thread, task or HTTP session of its own."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from keyring.backend import KeyringBackend

from trust_store.clock import Clock
from trust_store.pem import write_private
from trust_store.randomness import Randomness
from trust_store.secrets import FileKeyring, MemoryKeyring
from trust_store.stores import CertificateStore
from trust_store.stores.android_keychain import AndroidKeyChain

from .apps import ManagedApp
from .camera import Camera, ScreenReader
from .companion import CompanionApp, companion_from_json
from .enrollment import EnrollmentMachine
from .payloads import Artifact
from .platforms import Platform, platform
from .statelock import DeviceStateChangedError, StateLock

#: The keyring service under which every per-device secret is kept.
SECRET_SERVICE = "dcemu-device"
#: The state directory's index, written after everything it names, by rename (atomic).
INDEX = "device.json"


def quiet(_device: Device, _text: str) -> None:
    """A narrator that says nothing."""
    return None


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
    def __init__(
        self,
        spec: DeviceSpec,
        clock: Clock,
        state_dir: Path | None = None,
        rand: Randomness | None = None,
    ) -> None:
        self.spec = spec
        self.clock = clock
        self.state_dir = state_dir
        #: Tokens, nonces and passwords the device makes (key material aside): seedable.
        self.rand = rand or Randomness()
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
        #: Transient failures tried again, over the device's life (reports count them).
        self.retries = 0
        #: Why the last sync could not reach Intune ({"code", "reason"}), or None.
        self.sync_failure: dict[str, str] | None = None
        #: Windows: the issuer whose provider app the user installed (Intune never asks there).
        self.provider_app: str | None = None
        #: Companion apps an issuer's workflow installed (the Purebred app), by app id.
        self.apps: dict[str, CompanionApp] = {}
        self._store: CertificateStore | None = None
        self._keyring: KeyringBackend | None = None
        self._credential_client: ManagedApp | None = None
        #: How many times this state was saved (the state directory's own count when loaded).
        self.revision = 0

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
            value = self.rand.token_urlsafe(24)
            self.keyring.set_password(SECRET_SERVICE, f"{self.id}/{name}", value)
        if value is None:
            raise KeyError(name)
        return value

    @property
    def kek(self) -> bytes:
        """The key-encryption key for private keys the device persists."""
        return self.secret("key-encryption").encode()

    @property
    def store(self) -> CertificateStore:
        if self._store is None:
            self._store = self.platform.new_store()
            self.platform.prepare_store(self._store)
            self._attach_user(self._store)
        return self._store

    def credential_client(self, anchors: Sequence[x509.Certificate]) -> ManagedApp:
        """The credential app as a mutual-TLS client with the installed credential (MyID
        re-key); built once, and again only when the store is replaced."""
        client = self._credential_client
        if client is None or client.store is not self.store:
            client = ManagedApp(self.platform.credential_app, self.store, anchors, self.clock)
            self._credential_client = client
        return client

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[Device]:
        """Hold the state directory for this agent (no-op for a device kept in memory): a
        second agent gets `DeviceBusyError`; state saved by someone else since this device was
        loaded gives `DeviceStateChangedError`. Nothing is changed in either case."""
        if self.state_dir is None:
            yield self
            return
        with StateLock(self.state_dir, self.spec.name):
            on_disk = _saved_revision(self.state_dir)
            if on_disk != self.revision:
                raise DeviceStateChangedError(
                    f"{self.spec.name}: the state directory was saved by another agent "
                    f"(revision {on_disk}, this agent loaded {self.revision}); load it again"
                )
            yield self

    def install_app(self, app: CompanionApp) -> CompanionApp:
        self.apps[app.app_id] = app
        return app

    def _attach_user(self, store: CertificateStore) -> None:
        """The device's user answers the store's prompts (Android certificate access)."""
        if isinstance(store, AndroidKeyChain):
            answer = self.spec.approves_certificate_access
            store.approver = lambda _package, _alias: answer

    # --- persistence --------------------------------------------------------------------------
    def save(self) -> None:
        """Write the device's state as one unit: the artifacts first, then the index
        (`device.json`) written to a temporary file and renamed into place, so a crash at any
        moment leaves either the previous state or the new one, never a mix."""
        self.revision += 1  # counts progress, kept or not (retries reset on progress)
        if self.state_dir is None:
            return
        kek = self.secret("key-encryption").encode()
        for art in self.applied.values():
            write_private(self.state_dir / "artifacts" / art.filename, art.content)
        doc: dict[str, Any] = {
            "revision": self.revision,
            "spec": asdict(self.spec),
            "mdm": self.mdm,
            "machine": self.machine.to_json(),
            "store": self.store.to_json(kek),
            "applied": {
                k: {f: getattr(a, f) for f in ARTIFACT_FIELDS} for k, a in self.applied.items()
            },
            "notifications": self.notifications,
            "profileErrors": self.profile_errors,
            "reported": {k: list(v) for k, v in self.reported.items()},
            "providerApp": self.provider_app,
            "syncFailure": self.sync_failure,
            "retries": self.retries,
            "apps": {k: {"kind": a.kind, **a.to_json(kek)} for k, a in self.apps.items()},
        }
        write_private(self.state_dir / INDEX, json.dumps(doc, indent=1).encode())  # by rename

    @classmethod
    def load(cls, state_dir: Path, clock: Clock, rand: Randomness | None = None) -> Device:
        doc = json.loads((state_dir / INDEX).read_text())
        revision = int(doc.get("revision", 0))
        # A new stream per saved revision: a reloaded device never repeats values it drew.
        stream = rand.child(f"revision/{revision}") if rand is not None else None
        dev = cls(DeviceSpec(**doc["spec"]), clock, state_dir, stream)
        dev.revision = revision
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
        dev.reported = {k: (v[0], v[1], v[2]) for k, v in doc.get("reported", {}).items()}
        dev.provider_app = doc.get("providerApp")
        dev.sync_failure = doc.get("syncFailure")
        dev.retries = int(doc.get("retries", 0))
        for app_id, app_doc in doc.get("apps", {}).items():
            dev.apps[app_id] = companion_from_json(app_doc, dev, kek)
        return dev


def _saved_revision(state_dir: Path) -> int:
    try:
        doc = json.loads((state_dir / INDEX).read_text())
    except FileNotFoundError:
        return 0
    return int(doc.get("revision", 0))


ARTIFACT_FIELDS = ("policy_id", "kind", "filename", "media_type", "summary")


#: Tells what happens to a device, as the demo prints it (`quiet` says nothing).
Narrator = Callable[[Device, str], None]
