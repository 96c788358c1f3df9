"""The DISA Purebred app on a device: it talks to Purebred's device API, holds the keys and
certificates it obtains (`vault`), and hands them to the credential app (`handover`).

- Managed app: Intune must deploy the Purebred app as a managed app (`PurebredApp.install(device,
  managed=...)`); the app refuses to run unless it was installed as managed. The app belongs to
  the `Device` and is saved with it.
- On-premises network: Purebred's device API listens only on the on-premises address
  (`OnPremises.hosts`, 127.0.0.2 in the lab). The app refuses to connect there unless the
  device is on corporate Wi-Fi or VPN (`DeviceSpec.networks`); nothing is sent to the server
  about which network the device is on.
- The share password (what the user reads in the app and types into the receiving app) is a
  device secret, never in the file listing.

Server side: `mock_issuers.purebred`; wire protocol: docs/protocol.md, "DISA Purebred".
"""

from __future__ import annotations

import base64
import hashlib
import json
import weakref
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

from cryptography import x509

from trust_store.keys import PrivateKey, generate_key, load_private_key_pem, private_key_pem
from trust_store.pkcs import KeyAndCert, from_pkcs12, split_leaf

from ..companion import CompanionApp
from ..device import SECRET_SERVICE, Device
from ..errors import EnrollmentError, ServiceRefusedError
from ..est import EST_LABELS, SimpleEnroll, device_csr
from ..http import Transport
from .errors import (
    OTP_HINTS,
    NotOnPremisesError,
    OtpRejectedError,
    PurebredAppMissingError,
    PurebredAppNotManagedError,
)
from .vault import FileProvider, HeldKey, KeyType, Vault

T = TypeVar("T")

#: The Purebred app's bundle id (iOS) and package (Android): this emulator's choice.
PUREBRED_APP = "mil.disa.purebred"
#: Networks that reach the on-premises network (DeviceSpec.networks values).
ON_PREMISES_NETWORKS = frozenset({"corporate-wifi", "vpn"})
#: The loopback address that stands for the on-premises network in the lab.
DEFAULT_ON_PREMISES_HOSTS = frozenset({"127.0.0.2"})


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
class PurebredApp(CompanionApp):
    kind: ClassVar[str] = "purebred"
    app_id: ClassVar[str] = PUREBRED_APP

    #: Weak: the device owns the app, not the other way round.
    device_ref: weakref.ref[Device] = field(repr=False)
    managed: bool
    on_premises: OnPremises = field(default_factory=OnPremises)
    vault: Vault = field(default_factory=Vault)
    #: Keys made for a request not answered yet, by `<enrollment>/<kind>` (saved before the
    #: request is sent, so a repeat after a crash asks for the same key's certificate).
    pending: dict[str, PrivateKey] = field(default_factory=dict)
    #: `<enrollment>/<kind>` whose certificate is in the vault.
    completed: set[str] = field(default_factory=set)

    # --- install, persistence ----------------------------------------------------------------
    @classmethod
    def install(
        cls, device: Device, *, managed: bool = True, on_premises: OnPremises | None = None
    ) -> PurebredApp:
        """Install the Purebred app on `device`: `managed=True` is Intune deploying it (a
        required line-of-business app); False is the user side-loading it (it will refuse to
        run). Installing again replaces the app (and forgets what it held)."""
        app = cls(weakref.ref(device), managed, on_premises or OnPremises())
        device.install_app(app)
        return app

    @classmethod
    def on(cls, device: Device) -> PurebredApp:
        """The Purebred app installed on `device`."""
        app = device.apps.get(PUREBRED_APP)
        if not isinstance(app, cls):
            raise PurebredAppMissingError(
                f"the DISA Purebred app is not installed on {device.spec.name}; deploy it "
                "through Intune as a managed app"
            )
        return app

    @staticmethod
    def is_installed(device: Device) -> bool:
        return isinstance(device.apps.get(PUREBRED_APP), PurebredApp)

    def to_json(self, kek: bytes) -> dict[str, Any]:
        return {
            "managed": self.managed,
            "onPremisesHosts": sorted(self.on_premises.hosts),
            "vault": self.vault.to_json(kek),
            "pending": {k: private_key_pem(v, kek).decode() for k, v in self.pending.items()},
            "completed": sorted(self.completed),
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any], device: Device, kek: bytes) -> PurebredApp:
        return cls(
            weakref.ref(device),
            bool(doc["managed"]),
            OnPremises(frozenset(doc.get("onPremisesHosts", DEFAULT_ON_PREMISES_HOSTS))),
            Vault.from_json(doc.get("vault", []), kek),
            {k: load_private_key_pem(v.encode(), kek) for k, v in doc.get("pending", {}).items()},
            set(doc.get("completed", [])),
        )

    # --- what the user sees --------------------------------------------------------------------
    @property
    def device(self) -> Device:
        device = self.device_ref()
        if device is None:
            raise PurebredAppMissingError("the device this Purebred app was installed on is gone")
        return device

    @property
    def share_password(self) -> str:
        """Shown in the app for the user to type into the receiving app."""
        return self.device.secret("purebred/share-password")

    @property
    def files(self) -> FileProvider:
        return FileProvider(self.vault, self.share_password)

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

    # --- talking to Purebred --------------------------------------------------------------------
    async def _refusals_explained(self, exchange: Awaitable[T]) -> T:
        """Purebred's refusal of a one-time passcode, explained the way the app shows it."""
        try:
            return await exchange
        except ServiceRefusedError as e:
            if e.kind in OTP_HINTS:
                raise OtpRejectedError(e) from e
            raise

    async def _request(
        self, transport: Transport, method: str, url: str, *, during: str, **kw: Any
    ) -> tuple[str, bytes]:
        self.check_reach(url)
        _, ctype, body = await self._refusals_explained(
            transport.request(method, url, during=during, **kw)
        )
        return ctype, body

    async def _json(
        self, transport: Transport, url: str, body: bytes, *, during: str, token: str = ""
    ) -> dict[str, Any]:
        self.check_reach(url)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return await self._refusals_explained(
            transport.json_object("POST", url, data=body, headers=headers, during=during)
        )

    def _nonce_name(self, pre_id: str) -> str:
        return f"{self.device.id}/purebred-nonce/{pre_id}"

    # --- step 1 and 2 ---------------------------------------------------------------------------
    async def pre_enroll(self, transport: Transport, base_url: str, otp: str) -> PreEnrollment:
        """Send the agent's first code; show the fingerprint of what was sent."""
        device = self.device
        nonce = device.rand.token_urlsafe(16)
        body = json.dumps(
            {"otp": otp, "upn": device.upn, "device": device.descriptor(), "nonce": nonce}
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
        device.keyring.set_password(SECRET_SERVICE, self._nonce_name(pre.id), nonce)
        return pre

    async def enroll(
        self, transport: Transport, base_url: str, pre_id: str, otp: str
    ) -> AppEnrollment:
        """Send the agent's second code (the challenge) for the enrollment authorisation."""
        keyring = self.device.keyring
        nonce = keyring.get_password(SECRET_SERVICE, self._nonce_name(pre_id))
        if nonce is None:
            raise EnrollmentError("Purebred enroll: this device did not make that pre-enrollment")
        body = json.dumps({"otp": otp, "preEnrollment": pre_id, "nonce": nonce}).encode()
        doc = await self._json(
            transport, f"{base_url}/device/v1/enroll", body, during="Purebred enroll"
        )
        # The nonce stays: sent again (the answer was lost), it gets the same authorisation.
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
        """The app generates a key per requested certificate, saves it, sends the CSR, and holds
        both; what a previous run already obtained for this enrollment is not asked again."""
        held = []
        device = self.device
        for kind in enrollment.requests:
            slot = f"{enrollment.id}/{kind}"
            if kind not in EST_LABELS or slot in self.completed:
                continue
            key = self.pending.get(slot)
            if key is None:
                key = self.pending[slot] = generate_key(device.platform.device_key)
                device.save()  # persisted before it is sent
            certs = await self.submit_csr(transport, base_url, enrollment, kind, device_csr(key))
            found = split_leaf(certs, key)
            if found is None:
                raise EnrollmentError(f"the {kind} answer holds no certificate for the app's key")
            leaf, cas = found
            item = HeldKey(KeyType.of_kind(kind), KeyAndCert(key, leaf, f"Purebred {kind}", cas))
            self.vault.add(item)
            self.completed.add(slot)
            del self.pending[slot]
            device.save()
            held.append(item)
        return held

    # --- step 3 and 4 ---------------------------------------------------------------------------
    async def _escrowed(
        self,
        transport: Transport,
        base_url: str,
        enrollment: AppEnrollment,
        step: str,
        otp: str,
        password: str,
    ) -> list[HeldKey]:
        password = password or self.device.rand.token_urlsafe(16)  # one transfer's password
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
        for h in held:
            self.vault.add(h)
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
        return await self._escrowed(
            transport, base_url, enrollment, "key-management", otp, password
        )

    async def recover(
        self,
        transport: Transport,
        base_url: str,
        enrollment: AppEnrollment,
        otp: str,
        password: str = "",
    ) -> list[HeldKey]:
        """The user's recover code: the earlier encryption keys (old mail stays readable)."""
        return await self._escrowed(transport, base_url, enrollment, "recover", otp, password)
