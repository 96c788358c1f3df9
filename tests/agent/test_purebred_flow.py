"""DISA Purebred on the device side, through real loopback HTTPS servers (card authority and both
Purebred listeners): the supervised hooks for an iOS device, the whole credential-app state
machine, the Purebred app's file provider, and the refusals a tester must be able to read."""

from __future__ import annotations

import datetime as dt
import gc
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from cryptography import x509

from agent.credential_app import CredentialApp
from agent.device import Device, DeviceSpec
from agent.enrollment import Event, State
from agent.errors import UnsupportedError
from agent.http import Transport
from agent.intune import CheckIn, IntuneChannel
from agent.issuers import FlowContext, IssuerDirectory, Purebred
from agent.issuers.base import Activation
from agent.purebred import (
    AppEnrollment,
    KeyType,
    NotOnPremisesError,
    OtpRejectedError,
    PurebredApp,
    PurebredAppMissingError,
    PurebredAppNotManagedError,
    PurebredSite,
    RegistrationAgent,
    ShareFilter,
    company_portal_import,
    intune_app_import,
    open_shared,
)
from agent.user import User, Workstation, issue_card
from tests.mock_issuers.test_purebred_kit import AGENT_UPN, PurebredLab
from trust_store import oids
from trust_store.clock import ManualClock
from trust_store.errors import TrustStoreError
from trust_store.keys import generate_key, hash_for
from trust_store.labpki import LabPKI
from trust_store.randomness import Randomness
from trust_store.stores import CredentialRole
from trust_store.stores.android_keychain import AndroidKeyChain
from trust_store.stores.ios_keychain import COMPANY_PORTAL

UPN = "alice@corp.example"


@dataclass
class World:
    pb: PurebredLab
    transport: Transport
    agent: RegistrationAgent
    user: User
    workstation: Workstation

    @property
    def site(self) -> PurebredSite:
        return PurebredSite(self.pb.servers.console_url, self.agent)

    @property
    def client(self) -> Purebred:
        return Purebred(self.pb.servers.device_url, self.site)

    def device(
        self, networks: tuple[str, ...] = ("internet", "corporate-wifi"), **kw: str
    ) -> Device:
        spec = DeviceSpec(
            id=kw.get("id", "iphone-pb"),
            name=kw.get("name", "QA-iPhone-PB"),
            platform=kw.get("platform", "ios"),
            os_version=kw.get("os_version", "17.5"),
            model=kw.get("model", "iPhone15,2"),
            upn=UPN,
            networks=list(networks),
        )
        return Device(spec, self.pb.clock)

    def ctx(self, device: Device) -> FlowContext:
        return FlowContext(
            device, self.user, self.workstation, self.transport, self.pb.servers.device_url
        )


@pytest.fixture
async def world(pki: LabPKI, clock: ManualClock, rand: Randomness) -> AsyncIterator[World]:
    async with PurebredLab.start(pki, clock, rand) as pb:
        transport = Transport([pki.tls_root.cert])
        workstation = Workstation(transport)
        try:
            agent_user = await issue_card(
                transport,
                pb.ca_url,
                admin_token=pb.admin_token,
                name="Agent Smith",
                upn=AGENT_UPN,
                email=AGENT_UPN,
                pin="654321",
                key_history=0,
            )
            user = await issue_card(
                transport,
                pb.ca_url,
                admin_token=pb.admin_token,
                name="Alice Smith",
                upn=UPN,
                email=UPN,
                pin="123456",
            )
            agent = RegistrationAgent(agent_user, pb.servers.console_url, transport)
            yield World(pb, transport, agent, user, workstation)
        finally:
            await workstation.close()
            await transport.close()


def as_app(activation: Activation) -> AppEnrollment:
    return AppEnrollment(activation.enrollment, activation.access_token, activation.requests)


def csr_for(key: object) -> x509.CertificateSigningRequest:
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([]))
    return builder.sign(key, hash_for(key))  # type: ignore[arg-type]


async def test_ios_supervised_hooks_end_to_end(world: World) -> None:
    device = world.device()
    PurebredApp.install(device, managed=True)
    client = world.client
    ctx = world.ctx(device)

    code = await client.capture_code(ctx)
    applicant = world.pb.service.applicants.get(str(world.user.card.card_uuid))
    assert applicant.confirmed and applicant.confirmed_by == AGENT_UPN
    [pre] = world.pb.service.pre_enrollments.of_applicant(applicant.holder.card_uuid)
    assert pre.confirmed_by == AGENT_UPN and pre.device.id == device.id

    activation = await client.activate(ctx, code)
    assert activation.requests == ("pivAuthentication", "digitalSignature", "keyManagement")
    app = PurebredApp.on(device)
    url = world.pb.servers.device_url
    issued = {}
    for kind in ("pivAuthentication", "digitalSignature"):
        key = generate_key(device.platform.device_key)
        certs = await app.submit_csr(world.transport, url, as_app(activation), kind, csr_for(key))
        [leaf] = [c for c in certs if c.public_key() == key.public_key()]
        issued[kind] = leaf
    san = issued["pivAuthentication"].extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert world.user.card.card_uuid is not None
    assert world.user.card.card_uuid.urn in san.value.get_values_for_type(
        x509.UniformResourceIdentifier
    )

    otp = await client.user_code(ctx, "key-management")
    current = await app.user_key_management(world.transport, url, as_app(activation), otp)
    otp = await client.user_code(ctx, "recover")
    earlier = await app.recover(world.transport, url, as_app(activation), otp)
    card_km = [c.serial_number for c in world.user.card.key_management_history()]
    assert [h.item.cert.serial_number for h in current + earlier] == card_km  # newest first
    assert [h.current for h in current + earlier] == [True, False, False]
    # Four codes were used: two from the agent, two the user generated on the portal.
    used = sorted((o.step.value, o.issued_by.split(":")[0]) for o in world.pb.service.otps)
    assert used == [
        ("enroll", "agent"),
        ("key-management", "user"),
        ("pre-enroll", "agent"),
        ("recover", "user"),
    ]
    assert all(o.used_at is not None for o in world.pb.service.otps)


async def test_credential_app_completes_with_purebred(world: World) -> None:
    """The whole state machine (no Intune server: the check-in that asks for a credential is
    given), with the agent on duty given to the configured client."""
    device = world.device(("internet", "vpn"))
    pb_app = PurebredApp.install(device, managed=True)
    device.store.add_trusted_root(world.pb.pki.derived["purebred"].root.cert, "test")
    directory = IssuerDirectory([world.client])
    assert isinstance(directory.for_intune("purebred"), Purebred)
    app = CredentialApp(
        device,
        IntuneChannel(world.transport, "https://intune.invalid"),
        world.transport,
        directory,
    )
    app.last_checkin = CheckIn({"issuer": "purebred", "id": "settings-1"}, [], [], [])
    device.machine.fire(Event.CREDENTIAL_REQUESTED, "test")
    state = await app.run(world.user, world.workstation)
    assert state is State.COMPLETE, device.machine.failure
    auth = device.store.identities(COMPANY_PORTAL, CredentialRole.PIV_AUTH)
    assert len(auth) == 1
    chain = device.store.validate(auth[0], world.pb.clock.now(), policies=[oids.DERIVED_PIV_AUTH])
    assert chain[-1] == world.pb.pki.derived["purebred"].root.cert
    km = device.store.identities(COMPANY_PORTAL, CredentialRole.KEY_MANAGEMENT, current_only=False)
    assert len(km) == 3 and sum(i.current for i in km) == 1
    # The Purebred app generated and holds the keys; Company Portal imported them from its
    # file provider (same key, not one of its own).
    held = {h.item.cert.serial_number for h in pb_app.vault.select(all_versions=True)}
    assert {i.cert.serial_number for i in device.store.all_identities()} == held
    assert all(i.ref.startswith("PUREBRED-") for i in device.store.all_identities())


async def test_the_purebred_app_holds_keys_and_shares_them_by_file_provider(world: World) -> None:
    device = world.device()
    app = PurebredApp.install(device, managed=True)
    client = world.client
    ctx = world.ctx(device)
    activation = await client.activate(ctx, await client.capture_code(ctx))
    enrollment = as_app(activation)
    url = world.pb.servers.device_url
    held = await app.enroll_own_keys(world.transport, url, enrollment)
    assert sorted(h.type for h in held) == [KeyType.AUTHENTICATION, KeyType.SIGNATURE]
    await app.user_key_management(
        world.transport, url, enrollment, await client.user_code(ctx, "key-management")
    )
    await app.recover(world.transport, url, enrollment, await client.user_code(ctx, "recover"))

    newest = app.files.list()
    assert {(f.type, f.current) for f in newest} == {
        (KeyType.AUTHENTICATION, True),
        (KeyType.SIGNATURE, True),
        (KeyType.ENCRYPTION, True),
    }
    encryption = app.files.list(ShareFilter.ENCRYPTION, all_versions=True)
    assert [f.current for f in encryption] == [True, False, False]
    assert len(app.files.list(ShareFilter.SIGNATURE)) == 1
    assert len(app.files.list(ShareFilter.AUTHENTICATION, all_versions=True)) == 1
    assert app.files.list(ShareFilter.DEVICE) == []
    assert len(app.files.list(all_versions=True)) == 5
    # The password travels separately: it is in no file, and without it nothing opens.
    assert all(app.share_password.encode() not in f.pkcs12 for f in newest)
    with pytest.raises(TrustStoreError):
        open_shared(newest[0], "guess")

    # Company Portal imports what the user picked, with the password the user copied.
    installed = company_portal_import(device, app)
    assert len(installed) == 3 and company_portal_import(device, app) == []
    store = device.store
    store.add_trusted_root(world.pb.pki.derived["purebred"].root.cert, "test")
    [auth] = store.identities(COMPANY_PORTAL, CredentialRole.PIV_AUTH)
    assert any(auth.cert == h.item.cert for h in held)  # the key the Purebred app made
    store.validate(auth, world.pb.clock.now(), policies=[oids.DERIVED_PIV_AUTH])
    ekus = auth.cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert oids.EKU_SMARTCARD_LOGON in ekus
    # Asked for, the whole encryption history follows.
    older = company_portal_import(device, app, ShareFilter.ENCRYPTION, all_versions=True)
    assert [i.current for i in older] == [False, False]


async def android_app_enrolled(
    world: World, platform: str, device_id: str
) -> tuple[Device, PurebredApp, Purebred, FlowContext, Activation]:
    """An Android device whose Purebred app holds its own authentication and signature keys."""
    device = world.device(
        id=device_id, name=f"QA-{device_id}", platform=platform, os_version="14", model="Pixel 8"
    )
    app = PurebredApp.install(device, managed=True)
    client = world.client
    ctx = world.ctx(device)
    activation = await client.activate(ctx, await client.capture_code(ctx))
    await app.enroll_own_keys(world.transport, world.pb.servers.device_url, as_app(activation))
    return device, app, client, ctx, activation


async def test_android_intune_app_chooses_each_certificate_once(world: World) -> None:
    device, app, client, ctx, activation = await android_app_enrolled(
        world, "android-work-profile", "android-pb"
    )
    otp = await client.user_code(ctx, "key-management")
    await app.user_key_management(
        world.transport, world.pb.servers.device_url, as_app(activation), otp
    )

    store = device.store
    assert isinstance(store, AndroidKeyChain)
    intune = device.platform.credential_app
    store.approver = lambda package, alias: True
    aliases = intune_app_import(device, app)
    assert len(aliases) == 3
    assert [(p.kind, p.package) for p in store.prompts] == [("choose", intune)] * 3
    assert sorted(p.alias for p in store.prompts) == sorted(aliases)
    # Chosen once: a second hand-over (e.g. after a policy change) prompts for nothing.
    assert intune_app_import(device, app) == aliases
    assert len(store.prompts) == 3
    assert len(store.identities(intune, CredentialRole.PIV_AUTH)) == 1
    # The keys live in the Intune app's (work) profile, installed by the Purebred app.
    assert {i.scope for i in store.all_identities()} == {"work"}


async def test_android_hand_over_needs_the_users_choice(world: World) -> None:
    device, app, *_ = await android_app_enrolled(world, "android-fully-managed", "android-pb2")
    keychain = device.store
    assert isinstance(keychain, AndroidKeyChain)
    keychain.approver = None  # the user walks away from the prompt
    with pytest.raises(TrustStoreError, match="dismissed"):
        intune_app_import(device, app)  # nobody answers the chooser
    with pytest.raises(UnsupportedError, match="KeyChain"):
        intune_app_import(world.device(), app)  # an iOS device has no KeyChain chooser


# --- refusals ---------------------------------------------------------------------------------
async def test_device_off_premises_is_told_to_connect(world: World) -> None:
    device = world.device(("internet",))
    PurebredApp.install(device, managed=True)
    before = world.pb.service.snapshot()
    with pytest.raises(NotOnPremisesError) as e:
        await world.client.capture_code(world.ctx(device))
    assert "connect to corporate Wi-Fi or VPN" in str(e.value)
    assert e.value.code == "not-on-premises"
    # Refused on the device: the agent was not bothered and the server saw nothing.
    assert world.pb.service.snapshot() == before


async def test_purebred_app_must_be_managed(world: World) -> None:
    device = world.device()
    with pytest.raises(PurebredAppMissingError):
        await world.client.capture_code(world.ctx(device))
    PurebredApp.install(device, managed=False)
    with pytest.raises(PurebredAppNotManagedError) as e:
        await world.client.capture_code(world.ctx(device))
    assert "managed" in str(e.value) and e.value.code == "purebred-app-not-managed"


def test_installs_do_not_keep_devices_alive(clock: ManualClock) -> None:
    spec = DeviceSpec("short-lived", "QA", "ios", "17.5", "iPhone15,2", UPN)
    device = Device(spec, clock)
    app = PurebredApp.install(device, managed=True)
    assert PurebredApp.on(device) is app
    ref = weakref.ref(device)
    del device, app
    gc.collect()
    assert ref() is None


async def test_expired_and_used_codes_are_reported(world: World) -> None:
    device = world.device()
    app = PurebredApp.install(device, managed=True)
    client = world.client
    ctx = world.ctx(device)
    code = await client.capture_code(ctx)
    world.pb.clock.advance(dt.timedelta(minutes=3))
    with pytest.raises(OtpRejectedError) as e:
        await client.activate(ctx, code)
    assert e.value.code == "otp-expired" and "valid 3 minutes" in str(e.value)

    activation = await client.activate(ctx, await client.capture_code(ctx))
    otp = await client.user_code(ctx, "key-management")
    url = world.pb.servers.device_url
    await app.user_key_management(world.transport, url, as_app(activation), otp)
    with pytest.raises(OtpRejectedError) as e:
        await app.user_key_management(world.transport, url, as_app(activation), otp)
    assert e.value.code == "otp-used" and "already used" in str(e.value)
