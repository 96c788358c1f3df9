"""The steps of the enrollment, one per state it leaves (`STEPS`): what the credential app does
to move a device from `requested` to `complete`. Each step is idempotent (it may run again after
a transient failure or a crash) and fires exactly one event of the machine."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from trust_store.oids import DERIVED_PIV_AUTH, EKU_EMAIL_PROTECTION
from trust_store.stores import CredentialRole

from .device import SECRET_SERVICE
from .enrollment import Event, State
from .errors import EnrollmentError
from .issuers import CapturedCode, FlowContext, IssuerClient
from .issuers.base import Activation

if TYPE_CHECKING:
    from .credential_app import CredentialApp

StepFn = Callable[["CredentialApp", IssuerClient, FlowContext, dict[str, Any]], Awaitable[None]]


async def user_starts(
    app: CredentialApp, issuer: IssuerClient, ctx: FlowContext, settings: dict[str, Any]
) -> None:
    help_url = settings.get("helpUrl") or "the generic Intune instructions"
    app.narrate(
        ctx.device,
        f"{ctx.device.platform.credential_app_name}: user opens the derived-credential flow "
        f"({issuer.display}; help: {help_url})",
    )
    ctx.device.machine.fire(Event.USER_STARTED)


async def capture_code(
    app: CredentialApp, issuer: IssuerClient, ctx: FlowContext, settings: dict[str, Any]
) -> None:
    app.narrate(ctx.device, f"{issuer.display}: {issuer.ceremony}")
    code = await issuer.capture_code(ctx)
    keyring, prefix = ctx.device.keyring, ctx.device.id
    if code.password is not None:
        keyring.set_password(SECRET_SERVICE, f"{prefix}/activation-password", code.password)
    # Kept before the activation is sent: a repeat after a lost answer is recognised.
    keyring.set_password(
        SECRET_SERVICE, f"{prefix}/activation-key", ctx.device.rand.token_urlsafe(24)
    )
    how = code.how or "the code reached the device"
    app.narrate(ctx.device, how)
    ctx.device.machine.fire(
        Event.CODE_CAPTURED, how, token=code.token, hasPassword=code.password is not None
    )


async def activate(
    app: CredentialApp, issuer: IssuerClient, ctx: FlowContext, settings: dict[str, Any]
) -> None:
    m = ctx.device.machine
    keyring, prefix = ctx.device.keyring, ctx.device.id
    password = None
    if m.data.get("hasPassword"):
        password = keyring.get_password(SECRET_SERVICE, f"{prefix}/activation-password")
    key = keyring.get_password(SECRET_SERVICE, f"{prefix}/activation-key") or ""
    act = await issuer.activate(ctx, CapturedCode(m.data["token"], password, key=key))
    keyring.set_password(SECRET_SERVICE, f"{prefix}/access-token", act.access_token)
    app.narrate(ctx.device, f"{issuer.display} accepted the code: enrollment {act.enrollment}")
    m.data.pop("token", None)
    m.fire(Event.ACTIVATED, enrollment=act.enrollment, requests=list(act.requests))


async def generate_keys(
    app: CredentialApp, issuer: IssuerClient, ctx: FlowContext, settings: dict[str, Any]
) -> None:
    story, data = await issuer.custody.generate_keys(issuer, ctx)
    app.narrate(ctx.device, story)
    ctx.device.machine.fire(Event.KEYS_GENERATED, **data)


def _activation(ctx: FlowContext) -> Activation:
    m = ctx.device.machine
    token = ctx.device.keyring.get_password(SECRET_SERVICE, f"{ctx.device.id}/access-token")
    if token is None:
        raise EnrollmentError("the enrollment authorisation was lost; start again")
    return Activation(m.data["enrollment"], token, tuple(m.data.get("requests", ())))


async def request_certificates(
    app: CredentialApp, issuer: IssuerClient, ctx: FlowContext, settings: dict[str, Any]
) -> None:
    story, data = await issuer.custody.obtain_certificates(issuer, ctx, _activation(ctx))
    app.narrate(ctx.device, story)
    ctx.device.machine.fire(Event.CERTIFICATES_ISSUED, **data)


async def install(
    app: CredentialApp, issuer: IssuerClient, ctx: FlowContext, settings: dict[str, Any]
) -> None:
    dev = ctx.device
    new = issuer.custody.install(issuer, ctx)
    for ident in new:
        ident.attrs["settingsId"] = str(settings.get("id", ""))
        ident.attrs["intuneIssuer"] = issuer.intune_issuer
    scope = dev.platform.credential_scope
    app.narrate(
        dev, f"installed {len(new)} identities in the {dev.platform.display} store ({scope})"
    )
    dev.machine.fire(Event.INSTALLED, installed=[i.ref for i in new])


async def validate(
    app: CredentialApp, issuer: IssuerClient, ctx: FlowContext, settings: dict[str, Any]
) -> None:
    dev = ctx.device
    app_id = dev.platform.credential_app
    now = dev.clock.now()
    checked = []
    for ident in dev.store.identities(app_id, CredentialRole.PIV_AUTH):
        dev.store.validate(ident, now, policies=[DERIVED_PIV_AUTH])
        checked.append("PIV Authentication (derived-PIV policy)")
    for ident in dev.store.identities(app_id, CredentialRole.SIGNATURE):
        dev.store.validate(ident, now, eku=EKU_EMAIL_PROTECTION)
        checked.append("digital signature")
    if not checked:
        raise EnrollmentError("no derived PIV Authentication credential was installed")
    app.narrate(dev, f"chain validated to a deployed trusted root: {', '.join(checked)}")
    dev.machine.fire(Event.CHAIN_VALIDATED)


async def apply_derived_profiles(
    app: CredentialApp, issuer: IssuerClient, ctx: FlowContext, settings: dict[str, Any]
) -> None:
    if app.last_checkin is not None:
        app.apply_policies(app.last_checkin, derived=True)
        await app.report_profiles()
    applied = sum(1 for a in ctx.device.applied.values() if a.kind != "trusted-root")
    ctx.device.machine.fire(Event.PROFILES_APPLIED, f"{applied} profile(s) using the credential")


#: The step that leaves each state.
STEPS: dict[State, StepFn] = {
    State.REQUESTED: user_starts,
    State.AWAITING_CODE: capture_code,
    State.CODE_CAPTURED: activate,
    State.ACTIVATED: generate_keys,
    State.KEYS_GENERATED: request_certificates,
    State.CERTIFICATES_ISSUED: install,
    State.INSTALLED: validate,
    State.VALIDATED: apply_derived_profiles,
}
