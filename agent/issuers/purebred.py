"""DISA Purebred on the device side: supervised enrollment with a live registration agent.

The generic credential-app steps call these hooks:

- `capture_code`: the agent signs in to the console with their own card, looks the user up by
  the card the user presents and confirms them, hands out the pre-enroll code; the user types
  it into the Purebred app, which pre-enrolls and shows a fingerprint; the agent compares it
  with the console and confirms; the agent hands out the enroll code, which the user types.
- `activate`: the Purebred app redeems the enroll code (the challenge).
- `simple_enroll`: the certificate requests go through the Purebred app's on-premises link.
- `key_history`: the user signs in to the Purebred portal with their card and generates a
  key-management code (and, unless `encryption_history=False`, a recover code); the Purebred
  app fetches the escrowed encryption keys and shares them through its file provider; the
  credential app opens them with the password the user copies from the Purebred app.

The live agent has no slot in `FlowContext`: a `Purebred` client takes a `PurebredSite` (the
portal URL and the `RegistrationAgent`) as a constructor argument or, when built without one
(`issuer_for_intune`), looks it up in `SITES` by the issuer URL, which the lab fills with
`register_site(device_url, site)`. The issuer URL (`FlowContext.issuer_url`) is Purebred's
on-premises device API; the device's Purebred app must be installed as managed first
(`agent.purebred_app.install(device)`).

Approximation: in this state machine the credential app generates the PIV Authentication and
signature keys (its generic step) and the Purebred app forwards their requests; only the
encryption keys pass through the Purebred app's file provider. `PurebredApp.enroll_own_keys`
and `FileProvider` model the app holding every key, as the real app does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, cast

import aiohttp
from cryptography import x509

from trust_store.pem import cert_pem
from trust_store.pkcs import KeyAndCert
from trust_store.stores import CredentialRole, Identity
from trust_store.tls import client_context

from ..card import Slot
from ..device import Device
from ..errors import EnrollmentError, UnsupportedError
from ..http import Transport, mtls_session
from ..purebred_app import (
    PUREBRED_APP,
    AppEnrollment,
    KeyType,
    PurebredApp,
    ShareFilter,
    app_on,
    open_shared,
)
from ..user import User
from .base import Activation, CapturedCode, FlowContext, IssuerClient


@dataclass
class RegistrationAgent:
    """A live Purebred agent at their desk: their own PIV card and the console in a browser."""

    user: User
    console_url: str
    transport: Transport

    async def sign_in(self) -> str:
        """Mutual TLS with the agent's own card (PIN typed); a console session token."""
        card = self.user.card
        card.end_session()
        card.verify_pin(self.user.typed_pin)
        chain, key = card.tls_credential()
        ctx = client_context(self.transport.anchors, client_chain=chain, client_key=key)
        session: aiohttp.ClientSession = mtls_session(ctx)
        try:
            doc = await self.transport.json(
                "POST",
                f"{self.console_url}/console/session",
                session=session,
                during="Purebred agent console sign-in",
            )
        finally:
            await session.close()
        return str(doc["session"])

    async def console_post(self, token: str, path: str, body: dict[str, Any], during: str) -> Any:
        return await self.transport.json(
            "POST",
            f"{self.console_url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            during=during,
        )

    async def receive(self, applicant: User) -> AgentDesk:
        """The applicant arrives: the agent signs in, reads the applicant's card (its PIV
        Authentication certificate; no PIN needed), looks them up and confirms them."""
        token = await self.sign_in()
        pem = cert_pem(applicant.card.certificate(Slot.PIV_AUTH)).decode()
        doc = await self.console_post(
            token, "/console/applicants", {"certificate": pem}, "Purebred agent: look up applicant"
        )
        applicant_id = str(doc["id"])
        if doc.get("status") != "confirmed":
            await self.console_post(
                token,
                f"/console/applicants/{applicant_id}/confirm",
                {},
                "Purebred agent: confirm the applicant in person",
            )
        return AgentDesk(self, token, applicant_id)


@dataclass
class AgentDesk:
    """One applicant at the agent's desk."""

    agent: RegistrationAgent
    token: str
    applicant: str

    async def hand_out(self, step: str) -> str:
        doc = await self.agent.console_post(
            self.token,
            f"/console/applicants/{self.applicant}/otps",
            {"step": step},
            f"Purebred agent: {step} code",
        )
        return str(doc["otp"])

    async def confirm_fingerprint(self, pre_enrollment: str, seen_on_device: str) -> None:
        await self.agent.console_post(
            self.token,
            f"/console/pre-enrollments/{pre_enrollment}/confirm",
            {"fingerprint": seen_on_device},
            "Purebred agent: confirm the device's fingerprint",
        )


@dataclass(frozen=True)
class PurebredSite:
    """Where the user's portal is and who the agent on duty is, for one Purebred server."""

    portal_url: str
    agent: RegistrationAgent


#: Device API URL (the issuer URL the credential app uses) -> site; filled by the lab.
SITES: dict[str, PurebredSite] = {}


def register_site(device_url: str, site: PurebredSite) -> None:
    SITES[device_url.rstrip("/")] = site


def unregister_site(device_url: str) -> None:
    SITES.pop(device_url.rstrip("/"), None)


class Purebred(IssuerClient):
    name = "purebred"
    display = "DISA Purebred"
    intune_issuer = "purebred"
    ceremony = (
        "user meets a Purebred registration agent, who reads the PIV card at the console and "
        "hands out the pre-enroll one-time passcode"
    )
    #: The separator of the pre-enrollment id and the enroll code in `CapturedCode.token`.
    TOKEN_SEPARATOR: ClassVar[str] = ":"

    app_held_keys = True

    def __init__(
        self, site: PurebredSite | None = None, *, encryption_history: bool = True
    ) -> None:
        self.site = site
        #: Run the optional recover step and take every encryption key, not only the newest.
        self.encryption_history = encryption_history

    def site_for(self, ctx: FlowContext) -> PurebredSite:
        site = self.site or SITES.get(ctx.issuer_url.rstrip("/"))
        if site is None:
            raise EnrollmentError(
                f"no Purebred agent is on duty for {ctx.issuer_url}: build Purebred(site) or "
                "register_site(device_url, PurebredSite(...))"
            )
        return site

    @staticmethod
    def app_for(ctx: FlowContext) -> PurebredApp:
        app = app_on(ctx.device)
        app.ensure_runnable()
        return app

    async def capture_code(self, ctx: FlowContext) -> CapturedCode:
        app = self.app_for(ctx)
        app.check_reach(ctx.issuer_url)  # before the agent's time is spent
        desk = await self.site_for(ctx).agent.receive(ctx.user)
        pre = await app.pre_enroll(ctx.transport, ctx.issuer_url, await desk.hand_out("pre-enroll"))
        # The agent reads the fingerprint off the device's screen and compares it with the console.
        await desk.confirm_fingerprint(pre.id, pre.fingerprint)
        code = await desk.hand_out("enroll")
        return CapturedCode(
            f"{pre.id}{self.TOKEN_SEPARATOR}{code}",
            how="the agent confirmed the pre-enrollment fingerprint shown on the device and "
            "handed out the enroll passcode",
        )

    async def activate(self, ctx: FlowContext, code: CapturedCode) -> Activation:
        pre_id, sep, otp = code.token.partition(self.TOKEN_SEPARATOR)
        if not (pre_id and sep and otp):
            raise EnrollmentError("the captured Purebred code is not <pre-enrollment>:<code>")
        enrolled = await self.app_for(ctx).enroll(ctx.transport, ctx.issuer_url, pre_id, otp)
        return Activation(enrolled.id, enrolled.access_token, enrolled.requests)

    async def simple_enroll(
        self,
        ctx: FlowContext,
        activation: Activation,
        kind: str,
        csr: x509.CertificateSigningRequest,
    ) -> list[x509.Certificate]:
        return await self.app_for(ctx).submit_csr(
            ctx.transport, ctx.issuer_url, _app_enrollment(activation), kind, csr
        )

    async def key_history(
        self, ctx: FlowContext, activation: Activation, password: str
    ) -> list[tuple[KeyAndCert, bool]]:
        app = self.app_for(ctx)
        enrollment = _app_enrollment(activation)
        otp = await self.user_code(ctx, "key-management")
        await app.user_key_management(ctx.transport, ctx.issuer_url, enrollment, otp, password)
        if self.encryption_history:
            otp = await self.user_code(ctx, "recover")
            await app.recover(ctx.transport, ctx.issuer_url, enrollment, otp, password)
        files = app.files.list(ShareFilter.ENCRYPTION, all_versions=self.encryption_history)
        # The password is not in the listing: the user copies it from the Purebred app.
        typed = app.share_password
        return [(open_shared(f, typed), f.current) for f in files]

    async def enroll_in_app(self, ctx: FlowContext, activation: Activation) -> str:
        """The Purebred app generates its authentication and signature keys and sends their
        requests, then runs the user's key-management step and (for the history) recover."""
        app = self.app_for(ctx)
        enrollment = _app_enrollment(activation)
        held = await app.enroll_own_keys(ctx.transport, ctx.issuer_url, enrollment)
        otp = await self.user_code(ctx, "key-management")
        escrowed = await app.user_key_management(ctx.transport, ctx.issuer_url, enrollment, otp)
        if self.encryption_history:
            otp = await self.user_code(ctx, "recover")
            escrowed += await app.recover(ctx.transport, ctx.issuer_url, enrollment, otp)
        return (
            f"the DISA Purebred app generated {len(held)} key pair(s), got their certificates "
            f"and {len({h.serial for h in escrowed})} escrowed encryption key(s) as PKCS#12"
        )

    def hand_over(self, ctx: FlowContext) -> list[Identity]:
        """iOS: Company Portal imports from the app's file provider; Android: the app installs
        into the KeyChain and the Intune app asks the user to choose each certificate; Windows:
        the app installs into the user's personal store."""
        device = ctx.device
        app = self.app_for(ctx)
        hand = HAND_OVER.get(device.platform.store_family)
        if hand is None:
            raise UnsupportedError(
                f"the DISA Purebred app cannot hand keys over on {device.platform.display}"
            )
        return hand(device, app, self.encryption_history)

    async def user_code(self, ctx: FlowContext, step: str) -> str:
        """The user signs in to the Purebred portal with their card and generates a code."""
        portal_url = self.site_for(ctx).portal_url
        portal = await ctx.workstation.sign_in(ctx.user, portal_url)
        doc = await ctx.transport.json(
            "POST",
            f"{portal_url}/portal/otps",
            json={"step": step},
            headers={"Authorization": f"Bearer {portal.token}"},
            during=f"Purebred portal: {step} code",
        )
        return str(doc["otp"])


def _app_enrollment(activation: Activation) -> AppEnrollment:
    return AppEnrollment(activation.enrollment, activation.access_token, activation.requests)


# --- delivery to the credential app ---------------------------------------------------------------
ROLE_OF_TYPE = {
    KeyType.AUTHENTICATION: CredentialRole.PIV_AUTH,
    KeyType.SIGNATURE: CredentialRole.SIGNATURE,
    KeyType.ENCRYPTION: CredentialRole.KEY_MANAGEMENT,
}


def company_portal_import(
    device: Device,
    app: PurebredApp,
    share_filter: ShareFilter = ShareFilter.ALL,
    *,
    all_versions: bool = False,
) -> list[Identity]:
    """iOS: Company Portal picks files from the Purebred app's file provider (newest key of each
    type unless `all_versions`), opens them with the password the user copied from the Purebred
    app, and installs them in its shared keychain group."""
    app.ensure_runnable()
    typed = app.share_password  # read on the Purebred screen, typed into Company Portal
    present = {i.ref for i in device.store.all_identities()}
    installed = []
    for f in app.files.list(share_filter, all_versions=all_versions):
        role = ROLE_OF_TYPE.get(f.type)
        ref = f"PUREBRED-{f.name}"
        if role is None or ref in present:
            continue  # device identities stay with Purebred; an import is idempotent
        kc = open_shared(f, typed)
        ident = Identity(
            ref,
            role,
            kc.key,
            kc.cert,
            kc.cas,
            kc.friendly_name or f.name,
            device.platform.credential_scope,
            f.current,
            "purebred",
        )
        installed.append(device.store.add_identity(ident))
    return installed


class _KeyChain(Protocol):
    """What the Android hand-over needs of the store (trust_store's AndroidKeyChain)."""

    def app_profile(self, package: str) -> str | None: ...
    def register_app(self, package: str, profile: str) -> None: ...
    def add_identity(self, identity: Identity, *, installer: str = ...) -> Identity: ...
    def choose_certificate(self, app: str, alias: str) -> Identity: ...
    def all_identities(self) -> list[Identity]: ...


def intune_app_import(device: Device, app: PurebredApp, *, all_versions: bool = False) -> list[str]:
    """Android: the Purebred app installs its keys (newest of each type unless `all_versions`)
    into the KeyChain of the profile the Intune app runs in; the Intune app then asks the user
    to choose each certificate. The KeyChain remembers a choice, so running this again prompts
    for new certificates only. Returns the aliases."""
    app.ensure_runnable()
    store = device.store
    if not callable(getattr(store, "choose_certificate", None)):
        raise UnsupportedError(
            f"{device.platform.display} has no KeyChain certificate chooser; the Purebred "
            "hand-over to the Intune app needs an Android KeyChain"
        )
    keychain = cast(_KeyChain, store)
    intune = device.platform.credential_app
    profile = keychain.app_profile(intune)
    if profile is None:
        raise UnsupportedError(f"{intune} is not installed on {device.spec.name}")
    keychain.register_app(PUREBRED_APP, profile)
    present = {i.ref for i in keychain.all_identities()}
    aliases = []
    for h in app.select(all_versions=all_versions):
        role = ROLE_OF_TYPE.get(h.type)
        if role is None:
            continue
        alias = f"purebred-{h.type.value}-{h.serial[:12]}"
        if alias not in present:
            ident = Identity(
                alias,
                role,
                h.item.key,
                h.item.cert,
                h.item.cas,
                h.item.friendly_name or alias,
                profile,
                h.current,
                "purebred",
            )
            keychain.add_identity(ident, installer=PUREBRED_APP)
        keychain.choose_certificate(intune, alias)
        aliases.append(alias)
    return aliases


def _windows_install(device: Device, app: PurebredApp, all_versions: bool) -> list[Identity]:
    """Windows: the Purebred app puts its keys in the signed-in user's personal store."""
    installed = []
    for h in app.select(all_versions=all_versions):
        role = ROLE_OF_TYPE.get(h.type)
        if role is None:
            continue
        ident = Identity(
            f"PUREBRED-{h.type.value}-{h.serial[:12]}".upper(),
            role,
            h.item.key,
            h.item.cert,
            h.item.cas,
            h.item.friendly_name or f"Purebred {h.type.value}",
            device.platform.credential_scope,
            h.current,
            "purebred",
        )
        installed.append(device.store.add_identity(ident))
    return installed


def _company_portal(device: Device, app: PurebredApp, all_versions: bool) -> list[Identity]:
    return company_portal_import(device, app, all_versions=all_versions)


def _intune_app(device: Device, app: PurebredApp, all_versions: bool) -> list[Identity]:
    aliases = set(intune_app_import(device, app, all_versions=all_versions))
    return [i for i in device.store.all_identities() if i.ref in aliases]


#: How the Purebred app's keys reach the credential app, by store family.
HAND_OVER: dict[str, Callable[[Device, PurebredApp, bool], list[Identity]]] = {
    "ios": _company_portal,
    "android": _intune_app,
    "windows": _windows_install,
}
