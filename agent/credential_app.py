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

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from trust_store.errors import TrustStoreError

from .credential_status import fail_derived_profiles, revoked_reason
from .device import Device, Narrator, quiet
from .enrollment import TERMINAL, Event, State
from .enrollment_steps import STEPS
from .errors import (
    AgentError,
    ProfileError,
    ServiceError,
    UnsupportedError,
    trust_failure_code,
)
from .http import Transport
from .intune import CheckIn, IntuneChannel
from .issuers import FlowContext, IssuerDirectory
from .payloads import ProfileContext, renderer_for
from .payloads.known_issues import DEFAULT_KNOWN_ISSUES
from .rekey import rekey_if_due
from .retry import Attempts, RetryingTransport, RetryPolicy, Sleep
from .user import User, Workstation

T = TypeVar("T")

#: What a defect of the agent itself raises; recorded as `agent-internal-error`, never raised
#: out of `sync()` (a report must say what happened to every device).
INTERNAL_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)
INTERNAL = "agent-internal-error"


@dataclass
class CredentialApp:
    device: Device
    intune: IntuneChannel
    transport: Transport
    #: The issuers this device can reach (point the agent at another service here).
    issuers: IssuerDirectory
    narrate: Narrator = quiet
    last_checkin: CheckIn | None = None
    #: Documented product defects to reproduce (`payloads.known_issues`); all on by default.
    known_issues: frozenset[str] = DEFAULT_KNOWN_ISSUES
    #: How transient failures are retried within a step, and how the app waits.
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Sleep = asyncio.sleep

    def __post_init__(self) -> None:
        # Every exchange of this device (and its Intune channel) is resent where that is safe,
        # on this device's clock and random stream.
        base = self.transport
        if isinstance(base, RetryingTransport):
            base = base.base
        dev = self.device
        self.transport = RetryingTransport(
            base, self.retry, dev.clock, dev.rand, self.sleep, self._retried
        )
        self.intune.transport = self.transport

    def _retried(self, error: ServiceError, delay: float) -> None:
        self.device.retries += 1
        self.narrate(
            self.device, f"{error.code} during {error.during}; sent again in {delay:.1f} s"
        )

    # --- the outer loop -------------------------------------------------------------------------
    async def sync(
        self, user: User, workstation: Workstation, *, steps: int | None = None
    ) -> State:
        """One management cycle: enroll in Intune if needed, check in, apply what arrived, run the
        derived-credential flow if Intune asks for it (at most `steps` steps of it, when given),
        and check in again to report the result. Never raises for a failed exchange: a failure
        of the enrollment is recorded on the machine, a failure to reach Intune on the device
        (`Device.sync_failure`)."""
        dev = self.device
        with dev.exclusive():  # raises before any change when another agent holds the device
            return await self._sync(user, workstation, steps)

    async def _sync(self, user: User, workstation: Workstation, steps: int | None) -> State:
        dev = self.device
        try:
            await self._retrying(lambda: self.intune.enroll(dev))
            ci = await self._checkin()
            self.apply_policies(ci, derived=False)
            if dev.machine.state is State.COMPLETE:
                # An issuer that re-keys by itself (MyID) goes first: its window (28 days before
                # expiry) is inside Intune's renewal threshold, which would otherwise ask the user.
                rekeyed = await rekey_if_due(dev, self.transport, self.issuers, self.narrate)
                if rekeyed.rekeyed:
                    ci = await self._checkin()  # Intune sees the new thumbprint and expiry
                # Profiles that arrived (or changed) after the credential was installed, or that
                # now name the new identity.
                self.apply_policies(ci, derived=True)
                revoked = await revoked_reason(dev, self.transport)
                if revoked is not None:
                    fail_derived_profiles(dev, ci, revoked)
                    self.narrate(dev, revoked)
                await self.report_profiles()
            for action in ci.actions:
                self._on_action(action)
            if dev.machine.retryable:
                # The service was briefly unavailable last time: take up where it stopped.
                dev.machine.fire(Event.RETRY, "retrying after a transient failure")
                self.narrate(dev, f"retrying from {dev.machine.state.value}")
            if dev.machine.active:
                await self.run(user, workstation, steps=steps)
            if dev.machine.state is State.COMPLETE:
                await self._checkin()
            dev.sync_failure = None
        except AgentError as e:
            dev.sync_failure = {"code": e.code, "reason": str(e)}
            self.narrate(dev, f"sync FAILED ({e.code}): {e}")
        except INTERNAL_ERRORS as e:
            dev.sync_failure = {"code": INTERNAL, "reason": f"{type(e).__name__}: {e}"}
            self.narrate(dev, f"sync FAILED ({INTERNAL}): {type(e).__name__}: {e}")
        dev.save()
        return dev.machine.state

    async def install_provider_app(
        self, issuer: str, user: User, workstation: Workstation, *, steps: int | None = None
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
        client = self.issuers.named(issuer)  # refuse an unknown issuer before any change
        dev.provider_app = issuer
        if dev.machine.state is not State.COMPLETE and dev.machine.can(Event.CREDENTIAL_REQUESTED):
            dev.machine.fire(Event.CREDENTIAL_REQUESTED, f"{issuer} provider app installed")
            self.narrate(dev, f"user installs the {client.display} app for Windows")
        dev.save()
        return await self.sync(user, workstation, steps=steps)

    async def _checkin(self) -> CheckIn:
        ci = await self._retrying(lambda: self.intune.checkin(self.device))
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
    async def run(self, user: User, workstation: Workstation, *, steps: int | None = None) -> State:
        """Walk the enrollment from its current state until it ends (or for `steps` steps).
        Every step's failure becomes the machine's typed failure; nothing escapes."""
        dev = self.device
        settings = (self.last_checkin.derived_credential if self.last_checkin else None) or {}
        try:
            issuer = (
                self.issuers.named(dev.provider_app)
                if dev.provider_app
                else self.issuers.for_intune(str(settings.get("issuer", "")))
            )
        except UnsupportedError as e:
            dev.machine.fail("no-issuer", f"no issuer to enroll with: {e}")
            dev.save()
            return dev.machine.state
        ctx = FlowContext(dev, user, workstation, self.transport, issuer.url)
        taken = 0
        while dev.machine.state not in TERMINAL and (steps is None or taken < steps):
            step = STEPS[dev.machine.state]
            taken += 1
            try:
                # Every step is idempotent, so a transient failure may run it again.
                await self._retrying(partial(step, self, issuer, ctx, settings))
            except ServiceError as e:
                self._fail(step.__name__, e.code, e, retryable=e.transient)
            except AgentError as e:
                self._fail(step.__name__, e.code, e)
            except TrustStoreError as e:
                self._fail(step.__name__, trust_failure_code(e), e)
            except INTERNAL_ERRORS as e:
                # Answers are checked where they arrive (MalformedAnswerError); what remains is
                # the agent's own defect, recorded as such rather than raised out of sync().
                self._fail(step.__name__, INTERNAL, RuntimeError(f"{type(e).__name__}: {e}"))
            dev.save()
        return dev.machine.state

    async def _retrying(self, call: Callable[[], Awaitable[T]]) -> T:
        """`call()`, tried again after a backoff while it fails transiently (within the
        policy's tries and deadline); the last error when it gives up."""
        dev = self.device
        attempts = Attempts(self.retry, dev.clock, dev.rand, dev.clock.now())
        while True:
            revision = dev.revision
            try:
                return await call()
            except ServiceError as e:
                if dev.revision != revision:
                    attempts.progressed()
                delay = attempts.next_delay(e)
                if delay is None:
                    raise
                dev.retries += 1
                self.narrate(dev, f"{e.code} during {e.during}; trying again in {delay:.1f} s")
                await self.sleep(delay)

    def _fail(self, step: str, code: str, e: Exception, *, retryable: bool = False) -> None:
        self.device.machine.fail(code, str(e) or type(e).__name__, retryable=retryable)
        again = "; retried at the next sync" if retryable else ""
        self.narrate(self.device, f"FAILED in {step}: {e}{again}")

    def start_over(self) -> State:
        """The user starts the flow again after a final failure (a new code from the portal)."""
        m = self.device.machine
        if m.state is State.FAILED:
            m.fire(Event.RETRY, "the user starts again")
            self.device.save()
        return m.state

    # --- policies -------------------------------------------------------------------------------
    def apply_policies(self, ci: CheckIn, *, derived: bool) -> None:
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
                renderer = renderer_for(dev.platform, str(policy.get("@odata.type", "")))
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

    async def report_profiles(self) -> None:
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
                try:
                    await self.intune.report(dev, policy, status, detail)
                except ServiceError as e:
                    # Best effort: not recorded as sent, so the next check-in sends it again.
                    self.narrate(dev, f"status report not delivered ({e.code}); sent again later")
                    continue
                dev.reported[pid] = outcome
