"""The device side of an issuer: how the device captures the code the user's workstation shows,
activates it, and obtains its certificates (EST-style, see docs/protocol.md).

What differs between issuers is data on the class (Intune's issuer name, the QR prefix, whether
the user types a password, who holds the keys: `custody`) plus the `capture_code` hook; the EST
requests are shared. A client is configured with where its issuer is (`url`), and the lab (or a
tester pointing the agent at another service) gives a device's credential app an
`IssuerDirectory` of configured clients: no issuer is looked up in a module-level table.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from cryptography import x509

from trust_store.pkcs import KeyAndCert, from_pkcs12

from ..custody import DeviceKeyCustody, KeyCustody
from ..errors import EnrollmentError, MalformedAnswerError, UnsupportedError
from ..est import SimpleEnroll

if TYPE_CHECKING:
    from ..device import Device
    from ..http import Transport
    from ..user import User, Workstation


@dataclass(frozen=True)
class CapturedCode:
    token: str
    password: str | None = None
    #: How the code reached the device, for the narration ("scanned the QR code", ...).
    how: str = ""
    #: The device's `Idempotency-Key` for the activation: made and kept before the first send,
    #: so a repeat after a lost answer gets the same authorisation.
    key: str = ""


@dataclass
class FlowContext:
    """Everything one enrollment needs: the device, its user and their workstation, the issuer."""

    device: Device
    user: User
    workstation: Workstation
    transport: Transport
    issuer_url: str


@dataclass(frozen=True)
class Activation:
    enrollment: str
    access_token: str
    requests: tuple[str, ...]

    @classmethod
    def from_json(cls, doc: dict[str, Any], during: str) -> Activation:
        try:
            return cls(
                str(doc["enrollment"]),
                str(doc["accessToken"]),
                tuple(str(r) for r in doc.get("requests", ())),
            )
        except (KeyError, TypeError) as e:
            raise MalformedAnswerError(f"the answer lacks {e}", during) from e


class IssuerClient:
    name: ClassVar[str]
    display: ClassVar[str]
    #: The tenant setting's `issuer` value in Intune (Graph derived-credential issuer enum).
    intune_issuer: ClassVar[str]
    password_required: ClassVar[bool] = False
    #: What the user does away from the device to obtain the code (narrated before it).
    ceremony: ClassVar[str] = (
        "user signs in to the issuer's portal on a workstation with the PIV card"
    )
    #: Who generates and holds the keys (the credential app, or the issuer's own app).
    custody: ClassVar[KeyCustody] = DeviceKeyCustody()
    #: The issuer re-keys a still-valid credential by itself (MyID): `agent.rekey` asks it over
    #: mutual TLS with the installed credential; the user takes no step.
    auto_rekey: ClassVar[bool] = False

    def __init__(self, url: str) -> None:
        #: Where devices reach the issuer (its device API).
        self.url = url.rstrip("/")

    @property
    def qr_prefix(self) -> str:
        return f"dcemu:{self.name}:1:"

    def parse_qr(self, text: str) -> str:
        if not text.startswith(self.qr_prefix):
            raise EnrollmentError(
                f"the scanned code is not a {self.display} enrollment code (read {text[:40]!r})"
            )
        token = text.removeprefix(self.qr_prefix)
        if not token or len(token) > 128:
            raise EnrollmentError("the scanned code carries no usable token")
        return token

    async def capture_code(self, ctx: FlowContext) -> CapturedCode:
        """The portal flow (Entrust, Intercede): the user signs in at the issuer's portal with
        the card, asks for a credential, the device camera scans the QR code (Windows: the
        provider app reads it off the portal page on the same PC) and, where the issuer shows
        one, the user types the password on the device."""
        portal = await ctx.workstation.sign_in(ctx.user, ctx.issuer_url)
        offer = await portal.request_enrollment()
        token = self.parse_qr(ctx.device.read_code(offer.qr_png))
        how = (
            "the provider app read the QR code off the portal page on this PC"
            if ctx.device.platform.code_from_screen
            else "the device camera scanned the QR code"
        )
        if not self.password_required:
            return CapturedCode(token, how=how)
        if offer.password is None:
            raise EnrollmentError(
                f"the {self.display} portal showed no password to type on the device"
            )
        return CapturedCode(token, offer.password, how + " and the user typed the password")

    async def activate(self, ctx: FlowContext, code: CapturedCode) -> Activation:
        body: dict[str, Any] = {
            "token": code.token,
            "upn": ctx.device.upn,
            "device": ctx.device.descriptor(),
        }
        if code.password is not None:
            body["password"] = code.password
        headers = {"Idempotency-Key": code.key} if code.key else {}
        doc = await ctx.transport.json_object(
            "POST",
            f"{ctx.issuer_url}/device/v1/activations",
            json=body,
            headers=headers,
            during="activation",
        )
        return Activation.from_json(doc, "activation")

    async def simple_enroll(
        self,
        ctx: FlowContext,
        activation: Activation,
        kind: str,
        csr: x509.CertificateSigningRequest,
    ) -> list[x509.Certificate]:
        req = SimpleEnroll.build(
            ctx.issuer_url, activation.access_token, kind, csr, issuer=self.display
        )
        _, ctype, body = await ctx.transport.request("POST", req.url, **req.kwargs())
        return req.certificates(ctype, body)

    async def key_history(
        self, ctx: FlowContext, activation: Activation, password: str
    ) -> list[tuple[KeyAndCert, bool]]:
        doc = await ctx.transport.json_object(
            "POST",
            f"{ctx.issuer_url}/device/v1/enrollments/{activation.enrollment}/key-history",
            data=json.dumps({"password": password}),
            headers={
                "Authorization": f"Bearer {activation.access_token}",
                "Content-Type": "application/json",
            },
            during="key-management key history",
        )
        return [
            (
                from_pkcs12(base64.b64decode(item["pkcs12"]), password.encode()),
                bool(item["current"]),
            )
            for item in doc["items"]
        ]


class IssuerDirectory:
    """The issuers a device's credential app can reach: configured clients, by name."""

    def __init__(self, clients: Iterable[IssuerClient] = ()) -> None:
        self._clients = {c.name: c for c in clients}

    def add(self, client: IssuerClient) -> None:
        self._clients[client.name] = client

    def get(self, name: str) -> IssuerClient | None:
        return self._clients.get(name)

    def named(self, name: str) -> IssuerClient:
        client = self._clients.get(name)
        if client is None:
            raise UnsupportedError(
                f"no issuer {name!r} is configured here; known: "
                f"{', '.join(sorted(self._clients)) or 'none'}"
            )
        return client

    def for_intune(self, intune_issuer: str) -> IssuerClient:
        """The configured client for the tenant's issuer (Graph's name for it)."""
        for client in self._clients.values():
            if client.intune_issuer == intune_issuer:
                return client
        raise UnsupportedError(
            f"the tenant's issuer {intune_issuer!r} has no device-side workflow configured here"
        )

    def __iter__(self) -> Iterator[IssuerClient]:
        return iter(self._clients.values())

    def __len__(self) -> int:
        return len(self._clients)
