"""DISA Purebred on the device side: supervised enrollment with a live registration agent, and
keys generated and held by the Purebred app (`CompanionAppCustody`).

The credential-app steps call:

- `capture_code`: the agent signs in to the console with their own card, looks the user up by
  the card the user presents and confirms them, hands out the pre-enroll code; the user types
  it into the Purebred app, which pre-enrolls and shows a fingerprint; the agent compares it
  with the console and confirms; the agent hands out the enroll code, which the user types.
- `activate`: the Purebred app redeems the enroll code (the challenge).
- custody, `obtain_certificates`: the Purebred app generates its authentication and signature
  keys and sends their requests over its on-premises link; the user signs in to the Purebred
  portal with their card and generates a key-management code (and, unless
  `encryption_history=False`, a recover code); the app fetches the escrowed encryption keys.
- custody, `install`: the app hands its keys to the credential app the platform's way
  (`agent.purebred.handover`).

The client is built with its `PurebredSite` (the portal URL and the registration agent on duty),
which the lab seats; the issuer URL is Purebred's on-premises device API. The device's Purebred
app must be installed as managed first (`PurebredApp.install(device)`); it is saved with the
device, keys included, so a device reloaded at any state resumes.
"""

from __future__ import annotations

from typing import Any, ClassVar

from cryptography import x509

from trust_store.pkcs import KeyAndCert
from trust_store.stores import Identity

from ..custody import KeyCustody, clear_scope
from ..errors import EnrollmentError
from ..purebred import (
    AppEnrollment,
    PurebredApp,
    PurebredSite,
    ShareFilter,
    hand_over,
    open_shared,
)
from .base import Activation, CapturedCode, FlowContext, IssuerClient


class CompanionAppCustody(KeyCustody):
    """The Purebred app generates and holds the keys, then hands them to the credential app."""

    async def generate_keys(
        self, issuer: IssuerClient, ctx: FlowContext
    ) -> tuple[str, dict[str, Any]]:
        return f"the {issuer.display} app will generate and hold the keys", {"keys": {}}

    async def obtain_certificates(
        self, issuer: IssuerClient, ctx: FlowContext, activation: Activation
    ) -> tuple[str, dict[str, Any]]:
        assert isinstance(issuer, Purebred)
        return await issuer.enroll_in_app(ctx, activation), {"issued": {}, "keyHistory": []}

    def install(self, issuer: IssuerClient, ctx: FlowContext) -> list[Identity]:
        assert isinstance(issuer, Purebred)
        app = Purebred.app_for(ctx)
        clear_scope(ctx)
        return hand_over(ctx.device, app, all_versions=issuer.encryption_history)


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

    custody = CompanionAppCustody()

    def __init__(self, url: str, site: PurebredSite, *, encryption_history: bool = True) -> None:
        super().__init__(url)
        self.site = site
        #: Run the optional recover step and take every encryption key, not only the newest.
        self.encryption_history = encryption_history

    @staticmethod
    def app_for(ctx: FlowContext) -> PurebredApp:
        app = PurebredApp.on(ctx.device)
        app.ensure_runnable()
        return app

    async def capture_code(self, ctx: FlowContext) -> CapturedCode:
        app = self.app_for(ctx)
        app.check_reach(ctx.issuer_url)  # before the agent's time is spent
        desk = await self.site.agent.receive(ctx.user)
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

    async def user_code(self, ctx: FlowContext, step: str) -> str:
        """The user signs in to the Purebred portal with their card and generates a code."""
        portal_url = self.site.portal_url
        portal = await ctx.workstation.sign_in(ctx.user, portal_url)
        doc = await ctx.transport.json_object(
            "POST",
            f"{portal_url}/portal/otps",
            json={"step": step},
            headers={"Authorization": f"Bearer {portal.token}"},
            during=f"Purebred portal: {step} code",
        )
        return str(doc["otp"])


def _app_enrollment(activation: Activation) -> AppEnrollment:
    return AppEnrollment(activation.enrollment, activation.access_token, activation.requests)
