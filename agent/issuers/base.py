"""The device side of an issuer: how the device captures the code the user's workstation shows,
activates it, and obtains its certificates (EST-style, see docs/protocol.md).

What differs between issuers is data on the class (Intune's issuer name, the QR prefix, whether the
user types a password) plus the `capture_code` hook; the EST requests are shared.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from cryptography import x509

from trust_store.pkcs import KeyAndCert, from_pkcs12
from trust_store.stores import Identity

from ..errors import EnrollmentError, UnsupportedError
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
    #: The issuer's own app on the device generates and holds the keys and hands the
    #: credentials to the credential app (Purebred); otherwise the credential app does.
    app_held_keys: ClassVar[bool] = False
    #: The issuer re-keys a still-valid credential by itself (MyID): `agent.rekey` asks it over
    #: mutual TLS with the installed credential; the user takes no step.
    auto_rekey: ClassVar[bool] = False

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "name" in cls.__dict__:
            ISSUERS[cls.name] = cls

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
        doc = await ctx.transport.json(
            "POST", f"{ctx.issuer_url}/device/v1/activations", json=body, during="activation"
        )
        return Activation(doc["enrollment"], doc["accessToken"], tuple(doc.get("requests", ())))

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

    async def enroll_in_app(self, ctx: FlowContext, activation: Activation) -> str:
        """`app_held_keys` issuers: the issuer's app obtains every credential; a summary."""
        raise UnsupportedError(f"{self.display} has no app of its own on the device")

    def hand_over(self, ctx: FlowContext) -> list[Identity]:
        """`app_held_keys` issuers: the app gives its credentials to the credential app's store
        (the identities installed there)."""
        raise UnsupportedError(f"{self.display} has no app of its own on the device")

    async def key_history(
        self, ctx: FlowContext, activation: Activation, password: str
    ) -> list[tuple[KeyAndCert, bool]]:
        doc = await ctx.transport.json(
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


ISSUERS: dict[str, type[IssuerClient]] = {}


def issuer_named(name: str) -> IssuerClient:
    try:
        return ISSUERS[name]()
    except KeyError as e:
        raise UnsupportedError(
            f"unknown issuer {name!r}; known: {', '.join(sorted(ISSUERS))}"
        ) from e


def issuer_for_intune(intune_issuer: str) -> IssuerClient:
    for cls in ISSUERS.values():
        if cls.intune_issuer == intune_issuer:
            return cls()
    raise UnsupportedError(
        f"the tenant's issuer {intune_issuer!r} has no device-side workflow here"
    )
