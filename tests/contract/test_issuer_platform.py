"""One contract suite over every supported issuer x platform pair, through real loopback servers
(`kit.py` says what each pair must do). Every pair must also refuse a replayed code, and resume
from its state directory after a stop at any state of the enrollment."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest

from agent.device import Device
from agent.enrollment import State
from agent.errors import ServiceRefusedError
from agent.issuers import FlowContext
from agent.problems import ProblemKind
from agent.user import Workstation
from lab.matrix import Combo, supported
from lab.world import Lab
from trust_store.clock import ManualClock
from trust_store.secrets import MemoryKeyring

from .kit import USER, enrollment_contract, resume_contract

PAIRS = [pytest.param(c, id=c.id) for c in supported()]


@pytest.mark.parametrize("combo", PAIRS)
async def test_enrollment_contract(combo: Combo, clock: ManualClock) -> None:
    await enrollment_contract(combo, clock)


@pytest.mark.parametrize("combo", PAIRS)
async def test_resume_after_a_stop_at_every_state(
    combo: Combo, clock: ManualClock, tmp_path: Path
) -> None:
    stopped_in = await resume_contract(combo, clock, tmp_path)
    # Every state of the enrollment was a stopping point, in order.
    assert stopped_in == [
        State.AWAITING_CODE,
        State.CODE_CAPTURED,
        State.ACTIVATED,
        State.KEYS_GENERATED,
        State.CERTIFICATES_ISSUED,
        State.INSTALLED,
        State.VALIDATED,
        State.COMPLETE,
    ]


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
REPLAY_KIND = {"purebred": ProblemKind.STEP_OUT_OF_ORDER}


@pytest.mark.parametrize("combo", PAIRS)
async def test_replayed_code_is_refused(combo: Combo, clock: ManualClock) -> None:
    """The server refuses a second activation with the same code, even from a device that kept
    everything it had before the first."""
    async with Lab.start(issuers=(combo.issuer,), clock=clock) as lab:
        user = await lab.new_user(*USER)
        device = lab.new_device(combo.spec(user.upn))
        lab.prepare_device(device, combo.issuer)
        issuer = lab.directory.named(combo.issuer)
        ws = Workstation(lab.transport)
        try:
            ctx = FlowContext(device, user, ws, lab.transport, issuer.url)
            code = await issuer.capture_code(ctx)
            restore = keep_device_state(device)
            await issuer.activate(ctx, code)
            restore()
            with pytest.raises(ServiceRefusedError) as e:
                await issuer.activate(ctx, code)
            assert e.value.kind is REPLAY_KIND.get(combo.issuer, ProblemKind.TOKEN_USED)
        finally:
            await ws.close()
