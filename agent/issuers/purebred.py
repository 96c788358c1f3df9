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

from typing import Any, ClassVar, Protocol, runtime_checkable

from trust_store.stores import Identity

from ..custody import KeyCustody, clear_scope
from ..errors import EnrollmentError, UnsupportedError
from ..purebred import (
    AppEnrollment,
    PurebredApp,
    PurebredSite,
    hand_over,
)
from .base import Activation, CapturedCode, FlowContext, IssuerClient


@runtime_checkable
class CompanionAppIssuer(Protocol):
    """An issuer whose own app on the device generates and holds the keys."""

    display: str

    async def enroll_in_app(self, ctx: FlowContext, activation: Activation) -> str:
        """The app obtains every credential; a summary to narrate."""
        ...

    def hand_over(self, ctx: FlowContext) -> list[Identity]:
        """The app gives its credentials to the credential app (the identities installed)."""
        ...


class CompanionAppCustody(KeyCustody):
    """The issuer's companion app generates and holds the keys, then hands them to the
    credential app (the platform's way)."""

    async def generate_keys(
        self, issuer: IssuerClient, ctx: FlowContext
    ) -> tuple[str, dict[str, Any]]:
        return f"the {issuer.display} app will generate and hold the keys", {"keys": {}}

    async def obtain_certificates(
        self, issuer: IssuerClient, ctx: FlowContext, activation: Activation
    ) -> tuple[str, dict[str, Any]]:
        story = await _companion(issuer).enroll_in_app(ctx, activation)
        return story, {"issued": {}, "keyHistory": []}

    def install(self, issuer: IssuerClient, ctx: FlowContext) -> list[Identity]:
        companion = _companion(issuer)
        clear_scope(ctx)
        return companion.hand_over(ctx)


def _companion(issuer: IssuerClient) -> CompanionAppIssuer:
    if not isinstance(issuer, CompanionAppIssuer):
        raise UnsupportedError(f"{issuer.display} has no app of its own on the device")
    return issuer


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
        return hand_over(ctx.device, self.app_for(ctx), all_versions=self.encryption_history)

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
