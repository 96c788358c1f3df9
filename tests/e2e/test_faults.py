"""The agent survives the faults the lab injects: transient refusals and dropped connections are
retried with backoff (on the lab clock, never a real sleep), every committing step is idempotent,
and no device ends with two credentials."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agent.enrollment import State
from agent.user import User
from lab.matrix import Combo, supported
from lab.world import Lab
from tests.contract.kit import credentials_issued
from trust_store.clock import ManualClock
from trust_store.stores import CredentialRole

DEVICES = 20


def admin_headers(lab: Lab) -> dict[str, str]:
    token = getattr(lab, "admin_token", None)
    return {"Authorization": f"Bearer {token}"} if token else {}


async def set_faults(lab: Lab, base_url: str, plan: dict[str, Any]) -> None:
    await lab.transport.request(
        "PUT", f"{base_url}/admin/faults", json=plan, headers=admin_headers(lab), during="faults"
    )


async def enroll_many(lab: Lab, combo: Combo) -> list[tuple[User, Any]]:
    users = [
        await lab.new_user(f"User {i}", f"user{i:02d}@corp.example") for i in range(DEVICES)
    ]
    devices = [lab.new_device(combo.spec(u.upn, index=i + 1)) for i, u in enumerate(users)]
    states = await asyncio.gather(
        *(lab.obtain_credential(d, u, combo.issuer) for d, u in zip(devices, users, strict=True))
    )
    for device, state in zip(devices, states, strict=True):
        assert state is State.COMPLETE, (device.id, device.machine.failure)
    return list(zip(users, devices, strict=True))


@pytest.mark.parametrize("target", ["issuer", "intune"])
async def test_thirty_percent_503_every_device_completes_once(
    target: str, clock: ManualClock
) -> None:
    combo = next(c for c in supported() if c.id == "entrust-ios")
    async with Lab.start(issuers=(combo.issuer,), clock=clock, seed=11) as lab:
        await lab.configure_tenant(combo.issuer, families=("ios",))
        url = lab.servers.issuer_urls[combo.issuer] if target == "issuer" else lab.servers.intune_url
        await set_faults(lab, url, {"errorRate": 0.3})
        enrolled = await enroll_many(lab, combo)
        await set_faults(lab, url, {})
        assert credentials_issued(lab, combo.issuer) == DEVICES
        for _user, device in enrolled:
            app = device.platform.credential_app
            assert len(device.store.identities(app, CredentialRole.PIV_AUTH)) == 1
        # The faults were met and retried (a run with no retry would prove nothing).
        assert sum(d.retries for _u, d in enrolled) > 0


async def test_dropped_connections_and_purebred_steps_are_retried(clock: ManualClock) -> None:
    combo = next(c for c in supported() if c.id == "purebred-android-work-profile")
    async with Lab.start(issuers=(combo.issuer,), clock=clock, seed=12) as lab:
        await lab.configure_tenant(combo.issuer, families=("android",))
        device_url = lab.servers.issuer_urls[combo.issuer]
        await set_faults(lab, device_url, {"errorRate": 0.2, "dropRate": 0.1})
        user = await lab.new_user("Carol Diaz", "carol@corp.example")
        device = lab.new_device(combo.spec(user.upn))
        assert await lab.obtain_credential(device, user, combo.issuer) is State.COMPLETE, (
            device.machine.failure
        )
        assert credentials_issued(lab, combo.issuer) == 1
        assert device.retries > 0


async def test_a_step_that_keeps_failing_is_retried_at_the_next_sync(clock: ManualClock) -> None:
    """The issuer answers 503 to everything: the step gives up at its deadline with a retryable
    failure; once the issuer is back, the next sync takes up where it stopped (RETRY)."""
    combo = next(c for c in supported() if c.id == "intercede-ios")
    async with Lab.start(issuers=(combo.issuer,), clock=clock, seed=13) as lab:
        await lab.configure_tenant(combo.issuer, families=("ios",))
        user = await lab.new_user("Bob Jones", "bob@corp.example")
        device = lab.new_device(combo.spec(user.upn))
        url = lab.servers.issuer_urls[combo.issuer]
        assert await lab.obtain_credential(device, user, combo.issuer, steps=3) is State.ACTIVATED
        await set_faults(lab, url, {"errorRate": 1.0})
        assert await lab.obtain_credential(device, user, combo.issuer) is State.FAILED
        failure = device.machine.failure
        assert failure is not None and failure["retryable"] and failure["state"] == "keys-generated"
        await set_faults(lab, url, {})
        assert await lab.obtain_credential(device, user, combo.issuer) is State.COMPLETE
        events = [h.event for h in device.machine.history]
        assert "retry" in events and events.count("activated") == 1
        assert credentials_issued(lab, combo.issuer) == 1
