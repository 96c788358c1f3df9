"""The contract every issuer x platform pair must meet, as functions the suites call (the
built-in pairs in `test_issuer_platform.py`, a toy issuer registered from the test package in
`test_toy_issuer.py`)."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509

from agent.enrollment import State
from lab.matrix import Combo
from lab.world import Lab
from trust_store import oids
from trust_store.clock import ManualClock
from trust_store.stores import CredentialRole

USER = ("Alice Smith", "alice@corp.example")


def derived_issued(lab: Lab, issuer: str) -> list[x509.Certificate]:
    """Every certificate the issuer's derived CA signed (the issuer's own record)."""
    return [rec.cert for rec in lab.pki.derived[issuer].issuing.issued.values()]


def credentials_issued(lab: Lab, issuer: str) -> int:
    """How many derived PIV Authentication credentials the issuer signed."""
    count = 0
    for cert in derived_issued(lab, issuer):
        try:
            policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
        except x509.ExtensionNotFound:
            continue  # the OCSP responder's certificate
        if any(p.policy_identifier == oids.DERIVED_PIV_AUTH for p in policies):
            count += 1
    return count


def device_certificates_issued(lab: Lab, issuer: str) -> set[int]:
    """Serials of what the issuer signed for devices (its OCSP responder's aside)."""
    return {
        c.serial_number
        for c in derived_issued(lab, issuer)
        if not any(isinstance(e.value, x509.OCSPNoCheck) for e in c.extensions)
    }


async def enrollment_contract(combo: Combo, clock: ManualClock) -> None:
    """Complete the enrollment; hold a derived PIV Authentication credential whose key was
    generated on the device and whose chain validates to the deployed root with the derived-PIV
    policy; hold the key-management history; apply the Wi-Fi profile with the derived
    credential; report no further action at the next check-in; one credential issued."""
    async with Lab.start(issuers=(combo.issuer,), clock=clock, seed=3) as lab:
        setup = await lab.configure_tenant(combo.issuer)
        user = await lab.new_user(*USER)
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
        assert credentials_issued(lab, combo.issuer) == 1


async def resume_contract(combo: Combo, clock: ManualClock, state_dir: Path) -> list[str]:
    """Stop the agent after every step of the enrollment: each time a new `Device` is loaded
    from its state directory (nothing kept in memory) and the user carries on. The run ends
    `complete`, with exactly one credential issued for the device and its key on the device.
    Returns the states the device was stopped in."""
    async with Lab.start(issuers=(combo.issuer,), clock=clock, seed=5, state_dir=state_dir) as lab:
        await lab.configure_tenant(combo.issuer)
        user = await lab.new_user(*USER)
        spec = combo.spec(user.upn)
        device = lab.new_device(spec)
        stopped_in: list[str] = []
        for _ in range(40):
            state = await lab.obtain_credential(device, user, combo.issuer, steps=1)
            stopped_in.append(state.value)
            if state in (State.COMPLETE, State.FAILED):
                break
            del device
            device = lab.load_device(spec.id)
        assert state is State.COMPLETE, device.machine.failure
        device = lab.load_device(spec.id)
        app = device.platform.credential_app
        [auth] = device.store.identities(app, CredentialRole.PIV_AUTH)
        device.store.validate(auth, clock.now(), policies=[oids.DERIVED_PIV_AUTH])
        assert credentials_issued(lab, combo.issuer) == 1
        issued = device_certificates_issued(lab, combo.issuer)
        assert auth.cert.serial_number in issued
        held = {i.cert.serial_number for i in device.store.all_identities()}
        assert issued <= held, "the issuer signed a certificate that no device holds"
        return stopped_in
