"""One contract suite over every supported issuer x platform pair, through real loopback servers
(`kit.py` says what each pair must do). Every pair must also refuse a replayed code, and resume
from its state directory after a stop at any state of the enrollment."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from agent.device import SECRET_SERVICE, Device
from agent.enrollment import State
from agent.errors import ServiceRefusedError
from agent.issuers import CapturedCode, FlowContext
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


#: The problem kind each issuer answers a used code with when another device presents it.
#: Purebred's code names a pre-enrollment that only the device holding its nonce may enroll.
REPLAY_KIND = {"purebred": ProblemKind.DEVICE_MISMATCH}


@pytest.mark.parametrize("combo", PAIRS)
async def test_replayed_code_is_refused_but_a_repeat_is_idempotent(
    combo: Combo, clock: ManualClock
) -> None:
    """The device that activated, asking again (its answer was lost), gets the same
    authorisation; anyone else presenting the used code is refused."""
    async with Lab.start(issuers=(combo.issuer,), clock=clock) as lab:
        user = await lab.new_user(*USER)
        device = lab.new_device(combo.spec(user.upn))
        lab.prepare_device(device, combo.issuer)
        issuer = lab.directory.named(combo.issuer)
        ws = Workstation(lab.transport)
        try:
            ctx = FlowContext(device, user, ws, lab.transport, issuer.url)
            captured = await issuer.capture_code(ctx)
            code = replace(captured, key=device.rand.token_urlsafe(24))
            first = await issuer.activate(ctx, code)
            assert await issuer.activate(ctx, code) == first  # the same device, again
            with pytest.raises(ServiceRefusedError) as e:
                await issuer.activate(ctx, another_device(device, code))
            assert e.value.kind is REPLAY_KIND.get(combo.issuer, ProblemKind.TOKEN_USED)
        finally:
            await ws.close()


def another_device(device: Device, code: CapturedCode) -> CapturedCode:
    """What a second device that copied the code sends: its own idempotency key; for
    Purebred (whose device secret is the pre-enrollment's nonce) a nonce of its own."""
    keyring = device.keyring
    assert isinstance(keyring, MemoryKeyring)
    for name in keyring._items.get(SECRET_SERVICE, {}):
        if "/purebred-nonce/" in name:
            keyring.set_password(SECRET_SERVICE, name, "not-the-devices-nonce")
    return replace(code, key="another-device-key")
