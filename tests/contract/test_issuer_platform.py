"""One contract suite over every supported issuer x platform pair, through real loopback servers.

Every pair must: complete the enrollment; hold a derived PIV Authentication credential whose key
was generated on the device and whose chain validates to the deployed root with the derived-PIV
policy; hold the key-management history; apply the Wi-Fi profile with the derived credential;
report no further action at the next check-in. Every pair must also refuse a replayed code."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from agent.device import Device
from agent.enrollment import State
from agent.errors import IssuerRefusedError
from agent.issuers import FlowContext, issuer_named
from agent.user import Workstation
from lab.matrix import SUPPORTED, Combo
from lab.world import Lab
from trust_store import oids
from trust_store.clock import ManualClock
from trust_store.secrets import MemoryKeyring
from trust_store.stores import CredentialRole

PAIRS = [pytest.param(c, id=c.id) for c in SUPPORTED]


@pytest.mark.parametrize("combo", PAIRS)
async def test_enrollment_contract(combo: Combo, clock: ManualClock) -> None:
    async with Lab.start(issuers=(combo.issuer,), clock=clock, seed=3) as lab:
        setup = await lab.configure_tenant(combo.issuer)
        user = await lab.new_user("Alice Smith", "alice@corp.example")
        device = lab.new_device(combo.spec(user.upn))
        state = await lab.obtain_credential(device, user, combo.issuer)
        assert state is State.COMPLETE, device.machine.failure
        app = device.platform.credential_app
        auth = device.store.identities(app, CredentialRole.PIV_AUTH)
        assert len(auth) == 1
        chain = device.store.validate(auth[0], clock.now(), policies=[oids.DERIVED_PIV_AUTH])
        assert chain[-1] == lab.pki.derived[combo.issuer].root.cert
        assert device.store.identities(app, CredentialRole.KEY_MANAGEMENT, current_only=False)
        assert setup.profile(combo.platform, "wifi")["id"] in device.applied
        assert (await lab.credential_app(device).intune.checkin(device)).actions == []


def keep_device_state(device: Device) -> Callable[[], None]:
    """Snapshot the device's keyring so a replay can come from a clone of the device as it was
    before the code was used (Purebred's app forgets a pre-enrollment once enrolled)."""
    keyring = device.keyring
    assert isinstance(keyring, MemoryKeyring)
    saved = copy.deepcopy(keyring._items)

    def restore() -> None:
        keyring._items = copy.deepcopy(saved)

    return restore


#: The problem kind each issuer answers a replayed code with. Purebred's code names a
#: pre-enrollment that has already been enrolled: the step is refused before the code is read.
REPLAY_KIND = {"purebred": "step-out-of-order"}


@pytest.mark.parametrize("combo", PAIRS)
async def test_replayed_code_is_refused(combo: Combo, clock: ManualClock) -> None:
    """The server refuses a second activation with the same code, even from a device that kept
    everything it had before the first."""
    async with Lab.start(issuers=(combo.issuer,), clock=clock) as lab:
        user = await lab.new_user("Alice Smith", "alice@corp.example")
        device = lab.new_device(combo.spec(user.upn))
        lab.prepare_device(device, combo.issuer)
        issuer = issuer_named(combo.issuer)
        ws = Workstation(lab.transport)
        try:
            ctx = FlowContext(
                device, user, ws, lab.transport, lab.servers.issuer_urls[combo.issuer]
            )
            code = await issuer.capture_code(ctx)
            restore = keep_device_state(device)
            await issuer.activate(ctx, code)
            restore()
            with pytest.raises(IssuerRefusedError) as e:
                await issuer.activate(ctx, code)
            assert e.value.problem.kind == REPLAY_KIND.get(combo.issuer, "token-used")
        finally:
            await ws.close()
