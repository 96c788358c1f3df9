"""The app that obtains the derived credential on the device (Company Portal on iOS, the Intune
app on Android, the provider's app on Windows): it checks in with Intune, walks the enrollment
state machine one named step at a time, installs and validates the credential, and applies the
profiles that use it.

On iOS and Android Intune asks for the credential (an `enrollDerivedCredential` action) and the
tenant's issuer is used. On Windows Intune never asks: the user installs the provider's app
(`install_provider_app`), which enrolls with its own issuer.

Each step is one small coroutine registered for the state it leaves; `run` looks the step up by
the current state, so a device loaded from disk resumes exactly where it stopped.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from trust_store.errors import NoTrustedRootError, TrustStoreError
from trust_store.keys import generate_key, load_private_key_pem, private_key_pem
from trust_store.oids import DERIVED_PIV_AUTH, EKU_EMAIL_PROTECTION
from trust_store.stores import CredentialRole, Identity

from .device import Device
from .enrollment import TERMINAL, Event, State
from .errors import AgentError, EnrollmentError, ProfileError, UnsupportedError
from .est import device_csr
from .http import Transport
from .intune import CheckIn, IntuneChannel
from .issuers import CapturedCode, FlowContext, IssuerClient, issuer_for_intune, issuer_named
from .issuers.base import Activation
from .payloads import ProfileContext, renderer_for
from .payloads.known_issues import DEFAULT_KNOWN_ISSUES
from .rekey import rekey_if_due
from .user import User, Workstation

Narrator = Callable[[Device, str], None]

ROLE_OF_KIND = {
    "pivAuthentication": CredentialRole.PIV_AUTH,
    "digitalSignature": CredentialRole.SIGNATURE,
}


def _quiet(_d: Device, _m: str) -> None:
    return None


@dataclass
class CredentialApp:
    device: Device
    intune: IntuneChannel
    transport: Transport
    #: Issuer name → base URL (where this lab's issuers are; point at another service here).
    issuer_urls: dict[str, str]
    narrate: Narrator = _quiet
    last_checkin: CheckIn | None = None
    #: Windows: the issuer whose provider app is installed (it does not follow the tenant).
    provider_issuer: str | None = None
    #: Documented product defects to reproduce (`profiles.known_issues`); all on by default.
    known_issues: frozenset[str] = DEFAULT_KNOWN_ISSUES

    # --- the outer loop -------------------------------------------------------------------------
    async def sync(self, user: User, workstation: Workstation) -> State:
        """One management cycle: enroll in Intune if needed, check in, apply what arrived, run the
        derived-credential flow if Intune asks for it, and check in again to report the result."""
        dev = self.device
        await self.intune.enroll(dev)
        ci = await self._checkin()
        self._apply_policies(ci, derived=False)
        if dev.machine.state is State.COMPLETE:
            # An issuer that re-keys by itself (MyID) goes first: its window (28 days before
            # expiry) is inside Intune's renewal threshold, which would otherwise ask the user.
            rekeyed = await rekey_if_due(dev, self.transport, self.issuer_urls, self.narrate)
            if rekeyed.rekeyed:
                ci = await self._checkin()  # Intune sees the new thumbprint and expiry
            # Profiles that arrived (or changed) after the credential was installed, or that
            # now name the new identity.
            self._apply_policies(ci, derived=True)
            await self._report_profiles()
        for action in ci.actions:
            self._on_action(action)
        if dev.machine.active:
            await self.run(user, workstation)
        if dev.machine.state is State.COMPLETE:
            await self._checkin()
        dev.save()
        return dev.machine.state

    async def install_provider_app(
        self, issuer: str, user: User, workstation: Workstation
    ) -> State:
        """Windows: the user (or an Intune app deployment) installs the provider's app, which
        enrolls with its issuer and puts the certificate in the Windows store; then the device
        syncs, so the Wi-Fi and VPN profiles that select the derived credential apply."""
        dev = self.device
        if dev.platform.intune_requests_credential:
            raise UnsupportedError(
                f"{dev.platform.display} obtains derived credentials through "
                f"{dev.platform.credential_app_name}, not a provider app"
            )
        issuer_named(issuer)  # refuse an unknown issuer before any state changes
        self.provider_issuer = issuer
        await self.intune.enroll(dev)
        if dev.machine.state is not State.COMPLETE and dev.machine.can(Event.CREDENTIAL_REQUESTED):
            dev.machine.fire(Event.CREDENTIAL_REQUESTED, f"{issuer} provider app installed")
            self.narrate(dev, f"user installs the {issuer_named(issuer).display} app for Windows")
            dev.save()
        return await self.sync(user, workstation)

    async def _checkin(self) -> CheckIn:
        ci = await self.intune.checkin(self.device)
        self.last_checkin = ci
        for note in ci.notifications:
            self.device.notifications.append(note)
            self.narrate(
                self.device, f"notification ({note.get('channel')}): {note.get('message')}"
            )
        return ci

    def _on_action(self, action: dict[str, str]) -> None:
        m = self.device.machine
        event = {
            "enrollDerivedCredential": Event.CREDENTIAL_REQUESTED,
            "renewDerivedCredential": Event.RENEWAL_DUE,
        }.get(action.get("action", ""))
        if event is None:
            return
        if m.state is State.COMPLETE and event is Event.CREDENTIAL_REQUESTED:
            event = Event.CREDENTIAL_INVALIDATED
        if m.can(event):
            m.fire(event, action.get("reason", ""))
            self.narrate(
                self.device, f"Intune asks for a derived credential: {action.get('reason', '')}"
            )
            self.device.save()

    # --- the state machine ----------------------------------------------------------------------
    async def run(self, user: User, workstation: Workstation) -> State:
        dev = self.device
        settings = (self.last_checkin.derived_credential if self.last_checkin else None) or {}
        try:
            issuer = (
                issuer_named(self.provider_issuer)
                if self.provider_issuer
                else issuer_for_intune(str(settings.get("issuer", "")))
            )
            url = self.issuer_urls[issuer.name]
        except (UnsupportedError, KeyError) as e:
            dev.machine.fail("no-issuer", f"no issuer to enroll with: {e}")
            dev.save()
            return dev.machine.state
        ctx = FlowContext(dev, user, workstation, self.transport, url)
        while dev.machine.state not in TERMINAL:
            step = STEPS[dev.machine.state]
            try:
                await step(self, issuer, ctx, settings)
            except AgentError as e:
                dev.machine.fail(getattr(e, "code", "agent-error"), str(e))
                self.narrate(dev, f"FAILED in {step.__name__}: {e}")
            except TrustStoreError as e:
                code = "no-trusted-root" if isinstance(e, NoTrustedRootError) else "chain-invalid"
                dev.machine.fail(code, str(e))
                self.narrate(dev, f"FAILED in {step.__name__}: {e}")
            dev.save()
        return dev.machine.state

    def _kek(self) -> bytes:
        return self.device.secret("key-encryption").encode()

    # --- policies -------------------------------------------------------------------------------
    def _apply_policies(self, ci: CheckIn, *, derived: bool) -> None:
        """Apply trusted roots first, then the rest; `derived` selects the policies that use the
        derived credential (only once it is installed) or those that do not."""
        dev = self.device
        ctx = ProfileContext(
            dev.platform.name,
            dev.store,
            dev.platform.credential_app,
            known_issues=self.known_issues,
        )
        ordered = sorted(ci.policies, key=lambda p: "TrustedRoot" not in str(p.get("@odata.type")))
        for policy in ordered:
            try:
                renderer = renderer_for(dev.platform.name, str(policy.get("@odata.type", "")))
            except UnsupportedError as e:
                self.device.profile_errors[str(policy.get("id"))] = str(e)
                continue
            is_root = "TrustedRoot" in str(policy.get("@odata.type"))
            if not is_root and renderer.uses_derived_credential(policy) is not derived:
                continue
            try:
                art = renderer.apply(policy, ctx)
            except (ProfileError, TrustStoreError) as e:
                self.device.profile_errors[policy["id"]] = str(e)
                self.narrate(dev, f"profile {policy.get('displayName')!r} refused: {e}")
                continue
            self.device.profile_errors.pop(policy["id"], None)
            if dev.applied.get(policy["id"]) != art:
                self.narrate(dev, f"applied profile {policy.get('displayName')!r}: {art.summary}")
            dev.applied[policy["id"]] = art

    async def _report_profiles(self) -> None:
        """Tell Intune each profile's outcome; an outcome already reported for the same profile
        version is not sent again (a device syncs often, its profiles rarely change)."""
        ci = self.last_checkin
        if ci is None:
            return
        dev = self.device
        for policy in ci.policies:
            pid = policy["id"]
            if pid in dev.profile_errors:
                status, detail = "error", dev.profile_errors[pid]
            elif pid in dev.applied:
                status, detail = "succeeded", ""
            else:
                continue
            outcome = (policy.get("version", 1), status, detail)
            if dev.reported.get(pid) != outcome:
                await self.intune.report(dev, policy, status, detail)
                dev.reported[pid] = outcome

    # --- steps ----------------------------------------------------------------------------------
    async def _user_starts(
        self, issuer: IssuerClient, ctx: FlowContext, settings: dict[str, Any]
    ) -> None:
        help_url = settings.get("helpUrl") or "the generic Intune instructions"
        self.narrate(
            ctx.device,
            f"{ctx.device.platform.credential_app_name}: user opens the derived-credential flow "
            f"({issuer.display}; help: {help_url})",
        )
        ctx.device.machine.fire(Event.USER_STARTED)

    async def _capture_code(
        self, issuer: IssuerClient, ctx: FlowContext, settings: dict[str, Any]
    ) -> None:
        self.narrate(ctx.device, f"{issuer.display}: {issuer.ceremony}")
        code = await issuer.capture_code(ctx)
        if code.password is not None:
            ctx.device.keyring.set_password(
                "dcemu-device", f"{ctx.device.id}/activation-password", code.password
            )
        how = code.how or "the code reached the device"
        self.narrate(ctx.device, how)
        ctx.device.machine.fire(
            Event.CODE_CAPTURED, how, token=code.token, hasPassword=code.password is not None
        )

    async def _activate(
        self, issuer: IssuerClient, ctx: FlowContext, settings: dict[str, Any]
    ) -> None:
        m = ctx.device.machine
        password = None
        if m.data.get("hasPassword"):
            password = ctx.device.keyring.get_password(
                "dcemu-device", f"{ctx.device.id}/activation-password"
            )
        act = await issuer.activate(ctx, CapturedCode(m.data["token"], password))
        ctx.device.keyring.set_password(
            "dcemu-device", f"{ctx.device.id}/access-token", act.access_token
        )
        self.narrate(ctx.device, f"{issuer.display} accepted the code: enrollment {act.enrollment}")
        m.data.pop("token", None)
        m.fire(Event.ACTIVATED, enrollment=act.enrollment, requests=list(act.requests))

    async def _generate_keys(
        self, issuer: IssuerClient, ctx: FlowContext, settings: dict[str, Any]
    ) -> None:
        m = ctx.device.machine
        if issuer.app_held_keys:
            self.narrate(ctx.device, f"the {issuer.display} app will generate and hold the keys")
            m.fire(Event.KEYS_GENERATED, keys={})
            return
        alg = ctx.device.platform.device_key
        keys = {}
        for kind in m.data.get("requests", []):
            if kind in ROLE_OF_KIND:
                keys[kind] = private_key_pem(generate_key(alg), self._kek()).decode()
        self.narrate(ctx.device, f"generated {len(keys)} key pair(s) on the device ({alg.value})")
        m.fire(Event.KEYS_GENERATED, keys=keys)

    def _activation(self, ctx: FlowContext) -> Activation:
        m = ctx.device.machine
        token = ctx.device.keyring.get_password("dcemu-device", f"{ctx.device.id}/access-token")
        if token is None:
            raise EnrollmentError("the enrollment authorisation was lost; start again")
        return Activation(m.data["enrollment"], token, tuple(m.data.get("requests", ())))

    async def _request_certificates(
        self, issuer: IssuerClient, ctx: FlowContext, settings: dict[str, Any]
    ) -> None:
        m = ctx.device.machine
        act = self._activation(ctx)
        if issuer.app_held_keys:
            self.narrate(ctx.device, await issuer.enroll_in_app(ctx, act))
            m.fire(Event.CERTIFICATES_ISSUED, issued={}, keyHistory=[])
            return
        issued: dict[str, list[str]] = dict(m.data.get("issued", {}))
        for kind, pem in m.data["keys"].items():
            if kind in issued:
                continue  # resumed after a crash: this one already arrived
            key = load_private_key_pem(pem.encode(), self._kek())
            certs = await issuer.simple_enroll(ctx, act, kind, device_csr(key))
            issued[kind] = [base64.b64encode(c.public_bytes(Encoding.DER)).decode() for c in certs]
            m.data["issued"] = issued
            ctx.device.save()
        history = []
        if "keyManagement" in act.requests:
            password = ctx.device.secret("key-history-p12")
            for kc, current in await issuer.key_history(ctx, act, password):
                history.append(
                    {
                        "key": private_key_pem(kc.key, self._kek()).decode(),
                        "cert": base64.b64encode(kc.cert.public_bytes(Encoding.DER)).decode(),
                        "chain": [
                            base64.b64encode(c.public_bytes(Encoding.DER)).decode() for c in kc.cas
                        ],
                        "current": current,
                        "name": kc.friendly_name,
                    }
                )
        self.narrate(
            ctx.device,
            f"{issuer.display} issued {', '.join(issued)}"
            + (f" and {len(history)} key-management key(s) as PKCS#12" if history else ""),
        )
        m.fire(Event.CERTIFICATES_ISSUED, issued=issued, keyHistory=history)

    async def _install(
        self, issuer: IssuerClient, ctx: FlowContext, settings: dict[str, Any]
    ) -> None:
        dev = ctx.device
        m = dev.machine
        store = dev.store
        scope = dev.platform.credential_scope
        kek = self._kek()
        new: list[Identity] = []
        for kind, ders in m.data["issued"].items():
            certs = [x509.load_der_x509_certificate(base64.b64decode(d)) for d in ders]
            key = load_private_key_pem(m.data["keys"][kind].encode(), kek)
            # PKCS#7 holds a SET of certificates: find the leaf by its key, not its position.
            leaf = [c for c in certs if c.public_key() == key.public_key()]
            if len(leaf) != 1:
                raise EnrollmentError(
                    f"the {kind} response holds no certificate for the device's key"
                )
            certs = leaf + [c for c in certs if c is not leaf[0]]
            new.append(
                Identity(
                    f"{m.data['enrollment']}-{kind}".upper(),
                    ROLE_OF_KIND[kind],
                    key,
                    certs[0],
                    tuple(certs[1:]),
                    f"Derived credential ({kind})",
                    scope,
                    True,
                    issuer.name,
                )
            )
        for i, item in enumerate(m.data.get("keyHistory", [])):
            cert = x509.load_der_x509_certificate(base64.b64decode(item["cert"]))
            chain = tuple(
                x509.load_der_x509_certificate(base64.b64decode(c)) for c in item["chain"]
            )
            key = load_private_key_pem(item["key"].encode(), kek)
            new.append(
                Identity(
                    f"{m.data['enrollment']}-KM{i}".upper(),
                    CredentialRole.KEY_MANAGEMENT,
                    key,
                    cert,
                    chain,
                    item["name"] or f"Key management {i}",
                    scope,
                    bool(item["current"]),
                    issuer.name,
                )
            )
        # A new credential replaces the previous one (renewal, or a new issuer).
        for old in store.all_identities():
            if old.scope == scope:
                store.remove_identity(old.ref)
        if issuer.app_held_keys:
            new = issuer.hand_over(ctx)  # the issuer's app installs them in the store
            self.narrate(
                dev,
                f"the {issuer.display} app handed its keys to {dev.platform.credential_app_name}",
            )
        for ident in new:
            ident.attrs["settingsId"] = str(settings.get("id", ""))
            ident.attrs["intuneIssuer"] = issuer.intune_issuer
            if not issuer.app_held_keys:
                store.add_identity(ident)
        for k in ("keys", "issued", "keyHistory"):
            m.data.pop(k, None)
        self.narrate(
            dev, f"installed {len(new)} identities in the {dev.platform.display} store ({scope})"
        )
        m.fire(Event.INSTALLED, installed=[i.ref for i in new])

    async def _validate(
        self, issuer: IssuerClient, ctx: FlowContext, settings: dict[str, Any]
    ) -> None:
        dev = ctx.device
        app = dev.platform.credential_app
        now = dev.clock.now()
        checked = []
        for ident in dev.store.identities(app, CredentialRole.PIV_AUTH):
            dev.store.validate(ident, now, policies=[DERIVED_PIV_AUTH])
            checked.append("PIV Authentication (derived-PIV policy)")
        for ident in dev.store.identities(app, CredentialRole.SIGNATURE):
            dev.store.validate(ident, now, eku=EKU_EMAIL_PROTECTION)
            checked.append("digital signature")
        if not checked:
            raise EnrollmentError("no derived PIV Authentication credential was installed")
        self.narrate(dev, f"chain validated to a deployed trusted root: {', '.join(checked)}")
        dev.machine.fire(Event.CHAIN_VALIDATED)

    async def _apply_derived_profiles(
        self, issuer: IssuerClient, ctx: FlowContext, settings: dict[str, Any]
    ) -> None:
        if self.last_checkin is not None:
            self._apply_policies(self.last_checkin, derived=True)
            await self._report_profiles()
        applied = sum(1 for a in ctx.device.applied.values() if a.kind != "trusted-root")
        ctx.device.machine.fire(
            Event.PROFILES_APPLIED, f"{applied} profile(s) using the credential"
        )


Step = Callable[[CredentialApp, IssuerClient, FlowContext, dict[str, Any]], Awaitable[None]]

#: The step that leaves each state.
STEPS: dict[State, Step] = {
    State.REQUESTED: CredentialApp._user_starts,
    State.AWAITING_CODE: CredentialApp._capture_code,
    State.CODE_CAPTURED: CredentialApp._activate,
    State.ACTIVATED: CredentialApp._generate_keys,
    State.KEYS_GENERATED: CredentialApp._request_certificates,
    State.CERTIFICATES_ISSUED: CredentialApp._install,
    State.INSTALLED: CredentialApp._validate,
    State.VALIDATED: CredentialApp._apply_derived_profiles,
}
