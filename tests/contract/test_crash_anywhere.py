"""The agent dies right after any answered request (the server committed, the device had not
saved) and is started again from its state directory: every issuer x platform pair ends
`complete`, with exactly one credential issued for the device, the one it holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from agent.credential_app import CredentialApp
from agent.device import INDEX
from agent.enrollment import State
from agent.intune import IntuneChannel
from agent.retry import VirtualSleep
from lab.crash import CrashingTransport, SimulatedCrash, raise_crash
from lab.flows import obtain
from lab.matrix import Combo, supported
from lab.world import Lab
from trust_store import oids
from trust_store.clock import ManualClock
from trust_store.stores import CredentialRole

PAIRS = [pytest.param(c, id=c.id) for c in supported()]


def credentials_of(lab: Lab, issuer: str, name: str) -> list[x509.Certificate]:
    """The derived PIV Authentication certificates the issuer signed for the person `name`."""
    found = []
    for rec in lab.pki.derived[issuer].issuing.issued.values():
        cn = rec.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        try:
            policies = rec.cert.extensions.get_extension_for_class(x509.CertificatePolicies)
        except x509.ExtensionNotFound:
            continue
        if cn and cn[0].value == name and any(
            p.policy_identifier == oids.DERIVED_PIV_AUTH for p in policies.value
        ):
            found.append(rec.cert)
    return found


@pytest.mark.slow
@pytest.mark.parametrize("combo", PAIRS)
async def test_a_crash_after_any_answer_resumes_to_one_credential(
    combo: Combo, clock: ManualClock, tmp_path: Path
) -> None:
    async with Lab.start(issuers=(combo.issuer,), clock=clock, seed=21, state_dir=tmp_path) as lab:
        await lab.configure_tenant(combo.issuer)
        plugin = lab.issuer(combo.issuer)
        crashed_at = 0
        for n in range(1, 80):
            name = f"User {n:02d}"
            user = await lab.new_user(name, f"user{n:02d}@corp.example", key_history=0)
            device = lab.new_device(combo.spec(user.upn, index=n))
            dying = CrashingTransport(lab.transport.anchors, after=n, die=raise_crash)
            app = CredentialApp(
                device,
                IntuneChannel(dying, lab.servers.intune_url),
                dying,
                lab.directory,
                sleep=VirtualSleep(clock),
            )
            try:
                try:
                    state = await obtain(app, plugin, user)
                except SimulatedCrash:
                    crashed_at = n
                else:
                    assert state is State.COMPLETE, device.machine.failure
                    break  # n is past the last request: every point was covered
            finally:
                await dying.close()
            # Died before its first save: nothing on disk, the device starts over (Intune
            # knows it by its hardware id, so it stays one managed device).
            saved = (tmp_path / "devices" / device.id / INDEX).exists()
            reloaded = lab.load_device(device.id) if saved else lab.new_device(device.spec)
            assert await lab.obtain_credential(reloaded, user, combo.issuer) is State.COMPLETE, (
                n,
                reloaded.machine.failure,
            )
            issued = credentials_of(lab, combo.issuer, name)
            app_id = reloaded.platform.credential_app
            [held] = reloaded.store.identities(app_id, CredentialRole.PIV_AUTH)
            assert [c.serial_number for c in issued] == [held.cert.serial_number], n
        assert crashed_at >= 10  # the flow has many requests; each was a crash point
