"""One contract suite over every supported issuer x platform pair, through real loopback servers.

Every pair must: complete the enrollment; hold a derived PIV Authentication credential whose key
was generated on the device and whose chain validates to the deployed root with the derived-PIV
policy; hold the key-management history; apply the Wi-Fi profile with the derived credential;
report no further action at the next check-in. Every pair must also refuse a replayed code."""

from __future__ import annotations

import pytest

from agent.device import DeviceSpec
from agent.enrollment import State
from agent.errors import IssuerRefusedError
from agent.issuers import issuer_named
from agent.user import Workstation
from lab.matrix import SUPPORTED, Combo
from lab.world import Lab
from trust_store import oids
from trust_store.clock import ManualClock
from trust_store.stores import CredentialRole

PAIRS = [pytest.param(c, id=f"{c.issuer}-{c.platform}") for c in SUPPORTED]


def spec(c: Combo, upn: str) -> DeviceSpec:
    return DeviceSpec(
        id=f"{c.platform}-{c.issuer}",
        name=c.device_name,
        platform=c.platform,
        os_version=c.os_version,
        model=c.model,
        upn=upn,
    )


@pytest.mark.parametrize("combo", PAIRS)
async def test_enrollment_contract(combo: Combo, clock: ManualClock) -> None:
    async with Lab.start(issuers=(combo.issuer,), clock=clock, seed=3) as lab:
        setup = await lab.configure_tenant(combo.issuer)
        user = await lab.new_user("Alice Smith", "alice@corp.example")
        device = lab.new_device(spec(combo, user.upn))
        ws = Workstation(lab.transport)
        app = lab.credential_app(device)
        try:
            assert await app.sync(user, ws) is State.COMPLETE, device.machine.failure
        finally:
            await ws.close()
        cp = device.platform.credential_app
        auth = device.store.identities(cp, CredentialRole.PIV_AUTH)
        assert len(auth) == 1
        chain = device.store.validate(auth[0], clock.now(), policies=[oids.DERIVED_PIV_AUTH])
        assert chain[-1] == lab.pki.derived[combo.issuer].root.cert
        assert device.store.identities(cp, CredentialRole.KEY_MANAGEMENT, current_only=False)
        assert setup.profiles["wifi"]["id"] in device.applied
        assert (await app.intune.checkin(device)).actions == []


@pytest.mark.parametrize("combo", PAIRS)
async def test_replayed_code_is_refused(combo: Combo, clock: ManualClock) -> None:
    async with Lab.start(issuers=(combo.issuer,), clock=clock) as lab:
        user = await lab.new_user("Alice Smith", "alice@corp.example")
        device = lab.new_device(spec(combo, user.upn))
        issuer = issuer_named(combo.issuer)
        from agent.issuers import FlowContext

        ws = Workstation(lab.transport)
        try:
            ctx = FlowContext(
                device, user, ws, lab.transport, lab.servers.issuer_urls[combo.issuer]
            )
            code = await issuer.capture_code(ctx)
            await issuer.activate(ctx, code)
            with pytest.raises(IssuerRefusedError) as e:
                await issuer.activate(ctx, code)
            assert e.value.problem.kind == "token-used"
        finally:
            await ws.close()
