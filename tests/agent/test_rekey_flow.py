"""Intercede MyID automatic re-key on an iPhone, through the real loopback servers: enroll, move
the lab clock to 28 days before expiry, run `agent.rekey.rekey_if_due`; the new identities
replace the old ones under the same references, validate, and the old certificates are revoked
(the issuer's OCSP says so, and so does `openssl ocsp`). Also a DN change, a revoked credential,
and an issuer that does not re-key.

The lab clock starts at the real time: the servers' TLS layer checks client certificates against
the real clock, so the credential that authenticates must be valid in real time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509 import ocsp as x509_ocsp
from cryptography.x509.oid import NameOID

from agent.device import Device, DeviceSpec
from agent.enrollment import Event, State
from agent.issuers import Entrust, IssuerDirectory
from agent.rekey import RekeyOutcome, RekeyResult, rekey_if_due
from agent.user import User
from lab.world import Lab
from tests.openssl_cli import needs_openssl, run_openssl
from trust_store import ocsp
from trust_store.ca import CertStatus
from trust_store.clock import ManualClock
from trust_store.oids import DERIVED_PIV_AUTH, EKU_EMAIL_PROTECTION
from trust_store.pem import cert_pem
from trust_store.stores import CredentialRole, Identity

UPN = "alice@corp.example"
WINDOW = dt.timedelta(days=28)
REKEYED_ROLES = (CredentialRole.PIV_AUTH, CredentialRole.SIGNATURE)


def ios_spec() -> DeviceSpec:
    return DeviceSpec("iphone-1", "QA-iPhone", "ios", "17.5", "iPhone15,2", UPN)


@dataclass
class World:
    lab: Lab
    user: User
    device: Device
    said: list[str] = field(default_factory=list)

    def narrate(self, _device: Device, text: str) -> None:
        self.said.append(text)

    async def rekey(self) -> RekeyResult:
        return await rekey_if_due(
            self.device, self.lab.transport, self.lab.directory, self.narrate
        )

    def derived(self) -> dict[CredentialRole, Identity]:
        return {i.role: i for i in self.device.store.all_identities() if i.role in REKEYED_ROLES}

    def key_management(self) -> list[Identity]:
        return [
            i for i in self.device.store.all_identities() if i.role is CredentialRole.KEY_MANAGEMENT
        ]

    async def issuer_ocsp(self, cert: x509.Certificate) -> x509_ocsp.OCSPResponse:
        """What a relying party sees: the issuer's OCSP responder named in the certificate."""
        url = ocsp.ocsp_url(cert)
        assert url is not None
        issuing = self.lab.pki.derived["intercede"].issuing.cert
        nonce = b"e2e-rekey-nonce!"
        _, _, der = await self.lab.transport.request(
            "POST",
            url,
            data=ocsp.build_request(cert, issuing, nonce),
            headers={"Content-Type": "application/ocsp-request"},
            during="OCSP",
        )
        ocsp.check_response(der, cert, issuing, self.lab.clock.now(), nonce)
        return x509_ocsp.load_der_ocsp_response(der)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with Lab.start(issuers=("intercede",), clock=ManualClock(), seed=11) as lab:
        await lab.configure_tenant("intercede", families=("ios",))
        user = await lab.new_user("Alice Smith", UPN)
        device = lab.new_device(ios_spec())
        assert await lab.obtain_credential(device, user, "intercede") is State.COMPLETE
        yield World(lab, user, device)


async def test_rekey_28_days_before_expiry(world: World) -> None:
    old = world.derived()
    km = world.key_management()
    assert set(old) == set(REKEYED_ROLES) and km
    first = await world.rekey()
    assert first.outcome is RekeyOutcome.NOT_DUE
    assert first.rekey_at == old[CredentialRole.PIV_AUTH].cert.not_valid_after_utc - WINDOW
    assert world.said == []  # nothing to tell the user

    assert first.rekey_at is not None
    world.lab.clock.advance(first.rekey_at - world.lab.clock.now())
    result = await world.rekey()
    assert result.outcome is RekeyOutcome.REKEYED, result
    assert result.reason == "expiry"
    new = world.derived()
    assert set(result.installed) == {i.ref for i in new.values()}
    now = world.lab.clock.now()
    for role, ident in new.items():
        before = old[role]
        # Same reference, scope and label; new key, made on the device; new certificate.
        assert (ident.ref, ident.scope, ident.label) == (before.ref, before.scope, before.label)
        assert ident.key.public_key() != before.key.public_key()
        assert ident.cert.public_key() == ident.key.public_key()
        assert ident.cert.subject == before.cert.subject
        assert ident.cert.not_valid_before_utc <= now
        assert ident.attrs["rekeyedFrom"] == before.thumbprint
        assert ident.attrs["settingsId"] == before.attrs["settingsId"]
    world.device.store.validate(new[CredentialRole.PIV_AUTH], now, policies=[DERIVED_PIV_AUTH])
    world.device.store.validate(new[CredentialRole.SIGNATURE], now, eku=EKU_EMAIL_PROTECTION)
    assert world.key_management() == km  # the card's escrowed keys are not the issuer's to re-key

    ca = world.lab.pki.derived["intercede"].issuing
    for ident in old.values():
        assert ca.status(ident.cert.serial_number) is CertStatus.REVOKED
        answer = await world.issuer_ocsp(ident.cert)
        assert answer.certificate_status is x509_ocsp.OCSPCertStatus.REVOKED
        assert answer.revocation_reason is x509.ReasonFlags.superseded
    for ident in new.values():
        answer = await world.issuer_ocsp(ident.cert)
        assert answer.certificate_status is x509_ocsp.OCSPCertStatus.GOOD

    machine = world.device.machine
    assert machine.state is State.COMPLETE
    assert (machine.history[-1].event, machine.history[-1].detail) == (Event.REKEYED, "expiry")
    assert any("re-key due (expiry" in s for s in world.said)
    assert any("re-keyed" in s for s in world.said)


async def test_rekey_after_a_name_change(world: World) -> None:
    old = world.derived()
    await world.lab.transport.request(
        "POST",
        f"{world.lab.servers.issuer_urls['intercede']}/admin/people/{UPN}",
        json={"name": "Alice Smith-Jones", "email": "alice.sj@corp.example"},
        headers=world.lab.admin_headers,
        during="directory change",
    )
    result = await world.rekey()
    assert (result.outcome, result.reason) == (RekeyOutcome.REKEYED, "subject-changed")
    new = world.derived()
    for role, ident in new.items():
        cn = ident.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        assert cn == "Alice Smith-Jones"
        san = ident.cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.RFC822Name) == ["alice.sj@corp.example"]
        answer = await world.issuer_ocsp(old[role].cert)
        assert answer.revocation_reason is x509.ReasonFlags.affiliation_changed
    # The clock did not move: the new credential authenticates at once and is up to date.
    assert (await world.rekey()).outcome is RekeyOutcome.NOT_DUE


async def test_revoked_credential_fails_with_the_problem_kind_and_keeps_the_store(
    world: World,
) -> None:
    issuer = world.lab.servers.issuer_urls["intercede"]
    await world.lab.transport.request(
        "POST",
        f"{issuer}/admin/cards/{world.user.card.card_uuid}/revoke",
        json={"reason": "cessationOfOperation"},
        headers=world.lab.admin_headers,
        during="terminate",
    )
    world.lab.clock.advance(dt.timedelta(days=340))
    before = {i.ref: i.thumbprint for i in world.device.store.all_identities()}
    result = await world.rekey()
    assert (result.outcome, result.code) == (RekeyOutcome.FAILED, "credential-revoked")
    assert {i.ref: i.thumbprint for i in world.device.store.all_identities()} == before
    assert any("FAILED (credential-revoked)" in s for s in world.said)


async def test_chain_checked_before_anything_is_replaced(world: World) -> None:
    """The trusted-root profile was removed: the new chain does not validate, so the store keeps
    what it had (the issuer has revoked it meanwhile: the user enrolls again)."""
    for policy_id in world.device.applied:
        world.device.store.remove_trusted_roots(f"profile:{policy_id}")
    assert world.device.store.trusted_roots() == []
    before = {i.ref: i.thumbprint for i in world.device.store.all_identities()}
    world.lab.clock.advance(dt.timedelta(days=340))
    result = await world.rekey()
    assert (result.outcome, result.code) == (RekeyOutcome.FAILED, "no-trusted-root")
    assert {i.ref: i.thumbprint for i in world.device.store.all_identities()} == before
    assert world.device.machine.history[-1].event != Event.REKEYED


async def test_no_credential_and_issuers_that_do_not_rekey(world: World) -> None:
    bare = world.lab.new_device(
        DeviceSpec("iphone-2", "QA-iPhone 2", "ios", "17.5", "iPhone15,2", UPN)
    )
    directory = IssuerDirectory([Entrust("https://entrust.invalid")])
    assert (await rekey_if_due(bare, world.lab.transport, directory)).outcome is (
        RekeyOutcome.NO_CREDENTIAL
    )
    for ident in world.device.store.all_identities():
        ident.issuer = "entrust"  # as if Entrust had issued it: no request is made
    assert (await rekey_if_due(world.device, world.lab.transport, directory)).outcome is (
        RekeyOutcome.NOT_OFFERED
    )
    # An issuer this device is not configured to reach is a typed failure, not a crash.
    unknown = await rekey_if_due(world.device, world.lab.transport, IssuerDirectory())
    assert unknown.outcome is RekeyOutcome.FAILED and unknown.code == "no-issuer"


@pytest.mark.openssl
@needs_openssl
async def test_openssl_agrees(world: World, tmp_path: Path) -> None:
    old = world.derived()[CredentialRole.PIV_AUTH].cert
    world.lab.clock.advance(dt.timedelta(days=340))
    assert (await world.rekey()).rekeyed
    new = world.derived()[CredentialRole.PIV_AUTH].cert
    hierarchy = world.lab.pki.derived["intercede"]
    files = {
        "root.pem": cert_pem(hierarchy.root.cert),
        "issuing.pem": cert_pem(hierarchy.issuing.cert),
        "old.pem": cert_pem(old),
        "new.pem": cert_pem(new),
        "bundle.pem": cert_pem(hierarchy.root.cert) + cert_pem(world.lab.pki.tls_root.cert),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    at = str(int(world.lab.clock.now().timestamp()))
    code, out = await run_openssl(
        "verify",
        "-CAfile", str(tmp_path / "root.pem"),
        "-untrusted", str(tmp_path / "issuing.pem"),
        "-policy", DERIVED_PIV_AUTH.dotted_string,
        "-explicit_policy",
        "-purpose", "sslclient",
        "-attime", at,
        str(tmp_path / "new.pem"),
    )  # fmt: skip
    assert code == 0 and "OK" in out, out
    # The answer's times are the lab clock's; openssl checks them against the real clock.
    skew = abs((dt.datetime.now(dt.UTC) - world.lab.clock.now()).total_seconds())
    code, out = await run_openssl(
        "ocsp",
        "-issuer", str(tmp_path / "issuing.pem"),
        "-cert", str(tmp_path / "old.pem"),
        "-url", f"{world.lab.servers.issuer_urls['intercede']}/ocsp",
        "-CAfile", str(tmp_path / "bundle.pem"),
        "-verify_other", str(tmp_path / "issuing.pem"),
        "-attime", at,
        "-validity_period", str(int(skew) + 300),
    )  # fmt: skip
    assert code == 0, out
    assert "Response verify OK" in out, out
    assert f"{tmp_path / 'old.pem'}: revoked" in out, out
    assert "Reason: superseded" in out, out


class Crash(BaseException):
    """The agent process dies (not an error the app could handle)."""


async def test_rekey_interrupted_after_the_issuer_answered_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issuer re-keyed (and revoked the old credential) but the device died before it
    installed the answer: reloaded, the device sends the same new keys again, gets the same
    certificates, and ends on the current credential, not the revoked one."""
    import agent.rekey as rekey_module

    async with Lab.start(
        issuers=("intercede",), clock=ManualClock(), seed=12, state_dir=tmp_path
    ) as lab:
        await lab.configure_tenant("intercede", families=("ios",))
        user = await lab.new_user("Alice Smith", UPN)
        device = lab.new_device(ios_spec())
        assert await lab.obtain_credential(device, user, "intercede") is State.COMPLETE
        [auth] = [i for i in device.store.all_identities() if i.role is CredentialRole.PIV_AUTH]
        lab.clock.advance(auth.cert.not_valid_after_utc - WINDOW - lab.clock.now())
        real_send = rekey_module.send_rekey

        async def send_then_die(*args: object, **kw: object) -> object:
            await real_send(*args, **kw)  # type: ignore[arg-type]
            raise Crash

        monkeypatch.setattr(rekey_module, "send_rekey", send_then_die)
        with pytest.raises(Crash):
            await rekey_if_due(device, lab.transport, lab.directory)
        monkeypatch.setattr(rekey_module, "send_rekey", real_send)
        issuing = lab.pki.derived["intercede"].issuing
        assert issuing.status(auth.cert.serial_number) is CertStatus.REVOKED

        reloaded = lab.load_device(device.id)
        result = await rekey_if_due(reloaded, lab.transport, lab.directory)
        assert result.rekeyed, result
        [new] = [i for i in reloaded.store.all_identities() if i.role is CredentialRole.PIV_AUTH]
        assert new.cert.serial_number != auth.cert.serial_number
        assert issuing.status(new.cert.serial_number) is CertStatus.GOOD
        # Nothing was issued twice: two derived PIV Authentication certificates in all.
        piv = [r for r in issuing.issued.values() if r.profile == "derived-piv-authentication"]
        assert len(piv) == 2, [r.profile for r in issuing.issued.values()]
        # And the next sync asks nothing more.
        again = await rekey_if_due(reloaded, lab.transport, lab.directory)
        assert again.outcome is RekeyOutcome.NOT_DUE
