"""The DISA Purebred app on a device: it talks to Purebred's device API, holds the keys and
certificates it obtains, and hands them to the credential app (Company Portal on iOS, the
Intune app on Android).

- Managed app: Intune must deploy the Purebred app as a managed app. `DeviceSpec` has no field
  for it, so the install is recorded here, per device (`install(device, managed=...)`); the app
  refuses to run unless it was installed as managed.
- On-premises network: Purebred's device API listens only on the on-premises address
  (`OnPremises.hosts`, 127.0.0.2 in the lab). The app refuses to connect there unless the
  device is on corporate Wi-Fi or VPN (`DeviceSpec.networks`); nothing is sent to the server
  about which network the device is on.
- iOS delivery: a file-provider-like API (`FileProvider`) lists the held keys as PKCS#12 files,
  filtered by type (all / signature / encryption / authentication / device) and, by default,
  only the newest key of each type (all versions on request). The PKCS#12 password is never in
  the listing: the user reads it in the Purebred app (`share_password`) and types it into
  Company Portal.
- Android delivery: the Purebred app installs its keys into the KeyChain of the profile the
  Intune app runs in, and the Intune app asks the user to choose each certificate once; that
  receiving side is `agent.issuers.purebred.intune_app_import` (and, on iOS,
  `company_portal_import`).

Approximation: the install record and the held keys live in memory with the `Device` object
(after `Device.load`, install the app again); the pre-enroll nonce is kept in the device keyring
so an interrupted enrollment can still finish its enroll step.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import weakref
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509

from trust_store.keys import generate_key
from trust_store.pkcs import KeyAndCert, from_pkcs12, to_pkcs12

from .device import SECRET_SERVICE, Device
from .errors import EnrollmentError, IssuerRefusedError, UnsupportedError
from .est import EST_LABELS, SimpleEnroll, device_csr
from .http import Transport

#: The Purebred app's bundle id (iOS) and package (Android): this emulator's choice.
PUREBRED_APP = "mil.disa.purebred"
#: Networks that reach the on-premises network (DeviceSpec.networks values).
ON_PREMISES_NETWORKS = frozenset({"corporate-wifi", "vpn"})
#: The loopback address that stands for the on-premises network in the lab.
DEFAULT_ON_PREMISES_HOSTS = frozenset({"127.0.0.2"})
#: EST label per credential kind (docs/protocol.md).


# --- errors ------------------------------------------------------------------------------------
class NotOnPremisesError(EnrollmentError):
    code = "not-on-premises"


class PurebredAppMissingError(UnsupportedError):
    code = "purebred-app-missing"


class PurebredAppNotManagedError(UnsupportedError):
    code = "purebred-app-not-managed"


OTP_HINTS = {
    "otp-expired": "the one-time passcode has expired (each is valid 3 minutes); ask for a new one",
    "otp-used": "the one-time passcode was already used; ask for a new one",
    "otp-invalid": "the one-time passcode is wrong; check the digits",
    "otp-user-mismatch": "the one-time passcode was issued for another user",
    "otp-step-mismatch": "the one-time passcode is for another enrollment step",
}


class OtpRejectedError(IssuerRefusedError):
    """Purebred refused a one-time passcode; `code` is the problem kind (`otp-expired`, ...)."""

    def __init__(self, refused: IssuerRefusedError) -> None:
        super().__init__(refused.problem, refused.during)
        hint = OTP_HINTS.get(refused.problem.kind, refused.problem.detail)
        self.args = (f"{refused.during}: {hint} [{refused.problem.kind}]",)


# --- the on-premises network -------------------------------------------------------------------
@dataclass(frozen=True)
class OnPremises:
    """Which hosts are on the on-premises network."""

    hosts: frozenset[str] = DEFAULT_ON_PREMISES_HOSTS

    def check(self, device: Device, url: str) -> None:
        """Refuse to reach an on-premises host from a device that is not on that network."""
        host = urlsplit(url).hostname or ""
        if host not in self.hosts or ON_PREMISES_NETWORKS & set(device.spec.networks):
            return
        raise NotOnPremisesError(
            f"{device.spec.name} cannot reach the DISA Purebred server at {host}: it answers on "
            f"the on-premises network only and the device is on "
            f"{', '.join(device.spec.networks) or 'no network'}; connect to corporate Wi-Fi or VPN"
        )


# --- what the app holds ------------------------------------------------------------------------
class KeyType(StrEnum):
    AUTHENTICATION = "authentication"
    SIGNATURE = "signature"
    ENCRYPTION = "encryption"
    DEVICE = "device"


class ShareFilter(StrEnum):
    ALL = "all"
    SIGNATURE = "signature"
    ENCRYPTION = "encryption"
    AUTHENTICATION = "authentication"
    DEVICE = "device"

    def admits(self, key_type: KeyType) -> bool:
        return self is ShareFilter.ALL or self.value == key_type.value


TYPE_OF_KIND = {
    "pivAuthentication": KeyType.AUTHENTICATION,
    "digitalSignature": KeyType.SIGNATURE,
    "keyManagement": KeyType.ENCRYPTION,
}


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


@dataclass(frozen=True)
class SharedFile:
    """One entry of the file provider: a PKCS#12 under the app's share password."""

    name: str
    type: KeyType
    current: bool
    pkcs12: bytes


class FileProvider:
    """What other apps see of the Purebred app's keys (iOS file-provider extension)."""

    def __init__(self, app: PurebredApp) -> None:
        self._app = app

    def list(
        self, share_filter: ShareFilter = ShareFilter.ALL, *, all_versions: bool = False
    ) -> list[SharedFile]:
        password = self._app.share_password.encode()
        return [
            SharedFile(h.file_name, h.type, h.current, to_pkcs12(h.item, password))
            for h in self._app.select(share_filter, all_versions=all_versions)
        ]


def open_shared(file: SharedFile, password: str) -> KeyAndCert:
    """What the receiving app does with a shared file and the password the user typed."""
    return from_pkcs12(file.pkcs12, password.encode())


# --- the app -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PreEnrollment:
    id: str
    hash: str
    #: What the device shows and the agent compares with the console.
    fingerprint: str


@dataclass(frozen=True)
class AppEnrollment:
    id: str
    access_token: str
    requests: tuple[str, ...]


def fingerprint(hash_hex: str) -> str:
    """The first 16 hex digits, upper case, in groups of four (docs/protocol.md)."""
    head = hash_hex[:16].upper()
    return "-".join(head[i : i + 4] for i in range(0, 16, 4))


@dataclass(eq=False)
class PurebredApp:
    #: Weak, so that the per-device registry (keyed weakly by device) lets devices go.
    device_ref: weakref.ref[Device] = field(repr=False)
    managed: bool
    on_premises: OnPremises = field(default_factory=OnPremises)
    vault: list[HeldKey] = field(default_factory=list)
    #: Shown in the app for the user to type into the receiving app; never in the file listing.
    share_password: str = field(default_factory=lambda: secrets.token_urlsafe(12))

    @property
    def device(self) -> Device:
        device = self.device_ref()
        if device is None:
            raise PurebredAppMissingError("the device this Purebred app was installed on is gone")
        return device

    @property
    def files(self) -> FileProvider:
        return FileProvider(self)

    def ensure_runnable(self) -> None:
        if not self.managed:
            raise PurebredAppNotManagedError(
                f"the DISA Purebred app on {self.device.spec.name} was not deployed by Intune as "
                "a managed app, so it may not hand credentials to "
                f"{self.device.platform.credential_app_name}; deploy it through Intune"
            )

    def check_reach(self, url: str) -> None:
        self.ensure_runnable()
        self.on_premises.check(self.device, url)

    async def _request(
        self, transport: Transport, method: str, url: str, *, during: str, **kw: Any
    ) -> tuple[str, bytes]:
        self.check_reach(url)
        try:
            _, ctype, body = await transport.request(method, url, during=during, **kw)
        except IssuerRefusedError as e:
            if e.problem.kind in OTP_HINTS:
                raise OtpRejectedError(e) from e
            raise
        return ctype, body

    async def _json(
        self, transport: Transport, url: str, body: bytes, *, during: str, token: str = ""
    ) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        _, answer = await self._request(
            transport, "POST", url, data=body, headers=headers, during=during
        )
        doc = json.loads(answer)
        if not isinstance(doc, dict):
            raise EnrollmentError(f"{during}: the Purebred server answered {answer[:80]!r}")
        return doc

    def _nonce_name(self, pre_id: str) -> str:
        return f"{self.device.id}/purebred-nonce/{pre_id}"

    # --- step 1 and 2 -----------------------------------------------------------------------------
    async def pre_enroll(self, transport: Transport, base_url: str, otp: str) -> PreEnrollment:
        """Send the agent's first code; show the fingerprint of what was sent."""
        nonce = secrets.token_urlsafe(16)
        body = json.dumps(
            {"otp": otp, "upn": self.device.upn, "device": self.device.descriptor(), "nonce": nonce}
        ).encode()
        doc = await self._json(
            transport, f"{base_url}/device/v1/pre-enroll", body, during="Purebred pre-enroll"
        )
        mine = hashlib.sha256(body).hexdigest()
        if doc.get("hash") != mine:
            raise EnrollmentError(
                "Purebred pre-enroll: the server hashed a different request than the device sent "
                "(altered in transit?); do not confirm it, start again"
            )
        pre = PreEnrollment(str(doc["preEnrollment"]), mine, fingerprint(mine))
        self.device.keyring.set_password(SECRET_SERVICE, self._nonce_name(pre.id), nonce)
        return pre

    async def enroll(
        self, transport: Transport, base_url: str, pre_id: str, otp: str
    ) -> AppEnrollment:
        """Send the agent's second code (the challenge) for the enrollment authorisation."""
        nonce = self.device.keyring.get_password(SECRET_SERVICE, self._nonce_name(pre_id))
        if nonce is None:
            raise EnrollmentError("Purebred enroll: this device did not make that pre-enrollment")
        body = json.dumps({"otp": otp, "preEnrollment": pre_id, "nonce": nonce}).encode()
        doc = await self._json(
            transport, f"{base_url}/device/v1/enroll", body, during="Purebred enroll"
        )
        self.device.keyring.delete_password(SECRET_SERVICE, self._nonce_name(pre_id))
        return AppEnrollment(
            str(doc["enrollment"]), str(doc["accessToken"]), tuple(doc.get("requests", ()))
        )

    async def submit_csr(
        self,
        transport: Transport,
        base_url: str,
        enrollment: AppEnrollment,
        kind: str,
        csr: x509.CertificateSigningRequest,
    ) -> list[x509.Certificate]:
        req = SimpleEnroll.build(
            base_url, enrollment.access_token, kind, csr, issuer="DISA Purebred"
        )
        ctype, body = await self._request(transport, "POST", req.url, **req.kwargs())
        return req.certificates(ctype, body)

    async def enroll_own_keys(
        self, transport: Transport, base_url: str, enrollment: AppEnrollment
    ) -> list[HeldKey]:
        """The app generates a key per requested certificate, sends the CSRs and holds both."""
        held = []
        for kind in enrollment.requests:
            if kind not in EST_LABELS:
                continue
            key = generate_key(self.device.platform.device_key)
            certs = await self.submit_csr(transport, base_url, enrollment, kind, device_csr(key))
            leaf = [c for c in certs if c.public_key() == key.public_key()]
            if len(leaf) != 1:
                raise EnrollmentError(f"the {kind} answer holds no certificate for the app's key")
            cas = tuple(c for c in certs if c is not leaf[0])
            item = HeldKey(TYPE_OF_KIND[kind], KeyAndCert(key, leaf[0], f"Purebred {kind}", cas))
            self.vault.append(item)
            held.append(item)
        return held

    # --- step 3 and 4 -----------------------------------------------------------------------------
    async def _escrowed(
        self,
        transport: Transport,
        base_url: str,
        enrollment: AppEnrollment,
        step: str,
        otp: str,
        password: str,
    ) -> list[HeldKey]:
        body = json.dumps({"otp": otp, "password": password}).encode()
        doc = await self._json(
            transport,
            f"{base_url}/device/v1/enrollments/{enrollment.id}/{step}",
            body,
            during=f"Purebred {step}",
            token=enrollment.access_token,
        )
        held = [
            HeldKey(
                KeyType.ENCRYPTION,
                from_pkcs12(base64.b64decode(i["pkcs12"]), password.encode()),
                bool(i["current"]),
            )
            for i in doc.get("items", [])
        ]
        known = {h.serial for h in self.vault}
        self.vault.extend(h for h in held if h.serial not in known)
        return held

    async def user_key_management(
        self,
        transport: Transport,
        base_url: str,
        enrollment: AppEnrollment,
        otp: str,
        password: str = "",
    ) -> list[HeldKey]:
        """The user's key-management code: the current escrowed encryption key."""
        step, pw = "key-management", password or _transfer()
        return await self._escrowed(transport, base_url, enrollment, step, otp, pw)

    async def recover(
        self,
        transport: Transport,
        base_url: str,
        enrollment: AppEnrollment,
        otp: str,
        password: str = "",
    ) -> list[HeldKey]:
        """The user's recover code: the earlier encryption keys (old mail stays readable)."""
        step, pw = "recover", password or _transfer()
        return await self._escrowed(transport, base_url, enrollment, step, otp, pw)

    def select(
        self, share_filter: ShareFilter = ShareFilter.ALL, *, all_versions: bool = False
    ) -> list[HeldKey]:
        """Held keys of the filter's types, newest first; by default only the newest of each."""
        held = [h for h in self.vault if share_filter.admits(h.type)]
        held.sort(key=lambda h: h.item.cert.not_valid_before_utc, reverse=True)
        if all_versions:
            return held
        newest: dict[KeyType, HeldKey] = {}
        for h in held:
            newest.setdefault(h.type, h)
        return list(newest.values())


def _transfer() -> str:
    """A fresh password for one PKCS#12 transfer from the server to the app."""
    return secrets.token_urlsafe(16)


# --- installs, per device ---------------------------------------------------------------------------
_INSTALLED: weakref.WeakKeyDictionary[Device, PurebredApp] = weakref.WeakKeyDictionary()


def install(
    device: Device, *, managed: bool = True, on_premises: OnPremises | None = None
) -> PurebredApp:
    """Install the Purebred app on `device`: `managed=True` is Intune deploying it (a required
    line-of-business app); False is the user side-loading it (it will refuse to run)."""
    app = PurebredApp(weakref.ref(device), managed, on_premises or OnPremises())
    _INSTALLED[device] = app
    return app


def uninstall(device: Device) -> None:
    _INSTALLED.pop(device, None)


def app_on(device: Device) -> PurebredApp:
    app = _INSTALLED.get(device)
    if app is None:
        raise PurebredAppMissingError(
            f"the DISA Purebred app is not installed on {device.spec.name}; deploy it through "
            "Intune as a managed app"
        )
    return app


def is_installed(device: Device) -> bool:
    return device in _INSTALLED
