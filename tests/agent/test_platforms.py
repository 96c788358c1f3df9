"""The platform registry: lookups, data per platform, OS checks and the stores they prepare."""

from __future__ import annotations

import uuid

import pytest

from agent.errors import UnsupportedError
from agent.payloads import family_of, renderer_for, renderers_of
from agent.platforms import PLATFORMS, Family, platform
from agent.platforms.android import AndroidFullyManaged, AndroidWorkProfile
from agent.platforms.ios import IOS
from agent.platforms.windows import Windows
from lab import tenant_profiles
from trust_store import certprofiles as cp
from trust_store import oids
from trust_store.clock import ManualClock
from trust_store.errors import AccessDeniedError, StoreError
from trust_store.keys import KeyAlgorithm, generate_key
from trust_store.labpki import LabPKI
from trust_store.stores import CertificateStore, CredentialRole, Identity
from trust_store.stores.android_keychain import INTUNE_APP, PERSONAL, WORK, AndroidKeyChain
from trust_store.stores.ios_keychain import IOSKeychain
from trust_store.stores.windows_store import PROVIDER_APP, WindowsCertStore


def test_registry_finds_every_platform_by_name() -> None:
    assert PLATFORMS["android-fully-managed"] is AndroidFullyManaged
    assert PLATFORMS["android-work-profile"] is AndroidWorkProfile
    assert PLATFORMS["windows"] is Windows
    assert isinstance(platform("windows"), Windows)
    assert "AndroidEnterprise" not in {c.__name__ for c in PLATFORMS.values()}
    with pytest.raises(UnsupportedError, match=r"android-fully-managed.*android-work-profile"):
        platform("android")


@pytest.mark.parametrize(
    ("name", "app", "app_name", "scope", "intune_os", "family", "min_os"),
    [
        (
            "android-fully-managed",
            INTUNE_APP,
            "Intune app",
            WORK,
            "Android",
            "android",
            (7, 0),
        ),
        ("android-work-profile", INTUNE_APP, "Intune app", WORK, "Android", "android", (8, 0)),
        (
            "windows",
            PROVIDER_APP,
            "derived-credential provider app",
            "CurrentUser\\My",
            "Windows",
            "windows",
            (10, 0),
        ),
    ],
)
def test_platform_differences_are_data(
    name: str,
    app: str,
    app_name: str,
    scope: str,
    intune_os: str,
    family: str,
    min_os: tuple[int, ...],
) -> None:
    p = platform(name)
    assert (p.credential_app, p.credential_app_name, p.credential_scope) == (app, app_name, scope)
    assert (p.intune_os, p.family, p.store_family, p.min_os) == (intune_os, family, family, min_os)
    assert p.device_key is KeyAlgorithm.EC_P256


@pytest.mark.parametrize(
    ("name", "version", "needs"),
    [
        ("android-fully-managed", "6.0", "7.0"),
        ("android-fully-managed", "6.0.1", "7.0"),
        ("android-work-profile", "7.1.2", "8.0"),
        ("windows", "6.3", "10.0"),
    ],
)
def test_old_os_versions_are_refused_with_the_minimum(name: str, version: str, needs: str) -> None:
    with pytest.raises(UnsupportedError, match=rf"{version} is not supported.*needs {needs}"):
        platform(name).check_os(version)


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("android-fully-managed", "7.0"),
        ("android-fully-managed", "14"),
        ("android-work-profile", "8.0"),
        ("windows", "10.0.19045"),
        ("windows", "10.0.26100"),
    ],
)
def test_supported_os_versions_pass(name: str, version: str) -> None:
    platform(name).check_os(version)


def test_unreadable_os_version_is_refused() -> None:
    with pytest.raises(UnsupportedError, match="unreadable OS version"):
        platform("android-fully-managed").check_os("Oreo")


def test_fully_managed_store_has_only_the_managed_profile() -> None:
    p = platform("android-fully-managed")
    store = p.new_store()
    p.prepare_store(store)
    assert isinstance(store, AndroidKeyChain)
    assert store.profiles == (WORK,)
    assert store.app_profile(INTUNE_APP) == WORK
    with pytest.raises(StoreError, match="no 'personal' profile"):
        store.register_app("com.example.game", PERSONAL)


def test_work_profile_store_keeps_a_personal_side() -> None:
    p = platform("android-work-profile")
    store = p.new_store()
    p.prepare_store(store)
    assert isinstance(store, AndroidKeyChain)
    assert set(store.profiles) == {WORK, PERSONAL}
    store.register_app("com.example.game", PERSONAL)
    assert store.app_profile("com.example.game") == PERSONAL


def test_windows_store_runs_the_provider_app_as_the_signed_in_user() -> None:
    p = platform("windows")
    store = p.new_store()
    p.prepare_store(store)
    assert isinstance(store, WindowsCertStore)
    assert store.context_of(PROVIDER_APP) == f"user:{store.user}"


@pytest.mark.parametrize(
    ("name", "wrong"), [("android-work-profile", IOSKeychain), ("windows", AndroidKeyChain)]
)
def test_prepare_store_refuses_another_platforms_store(
    name: str, wrong: type[CertificateStore]
) -> None:
    with pytest.raises(UnsupportedError, match="needs"):
        platform(name).prepare_store(wrong())


@pytest.mark.parametrize("name", ["android-fully-managed", "android-work-profile", "windows"])
def test_credential_app_uses_what_it_installs_at_its_scope(
    name: str, pki: LabPKI, clock: ManualClock
) -> None:
    """The contract the credential app relies on: install at `credential_scope`, find it as
    `credential_app`, validate it against a deployed root, survive a save and load."""
    p = platform(name)
    store = p.new_store()
    p.prepare_store(store)
    h = pki.derived["entrust"]
    key = generate_key(p.device_key)
    cert = h.issuing.issue(
        key.public_key(), cp.Subject("Alice", card_uuid=uuid.uuid4()), cp.DERIVED_PIV_AUTH
    )
    store.add_identity(
        Identity(
            "ENROLLMENT-PIVAUTH",
            CredentialRole.PIV_AUTH,
            key,
            cert,
            (h.issuing.cert,),
            "Derived credential (pivAuth)",
            p.credential_scope,
        )
    )
    store.add_trusted_root(h.root.cert, "profile:root")
    for s in (store, CertificateStore.from_json(store.to_json(b"kek"), b"kek")):
        (found,) = s.identities(p.credential_app, CredentialRole.PIV_AUTH)
        assert found.cert == cert and found.scope == p.credential_scope
        assert s.validate(found, clock.now(), policies=[oids.DERIVED_PIV_AUTH])[-1] == h.root.cert


def test_work_profile_credentials_stay_away_from_personal_apps(pki: LabPKI) -> None:
    p = platform("android-work-profile")
    store = p.new_store()
    p.prepare_store(store)
    assert isinstance(store, AndroidKeyChain)
    store.register_app("com.example.game", PERSONAL)
    store.approver = lambda package, alias: True
    h = pki.derived["entrust"]
    key = generate_key(p.device_key)
    cert = h.issuing.issue(
        key.public_key(), cp.Subject("Alice", card_uuid=uuid.uuid4()), cp.DERIVED_PIV_AUTH
    )
    store.add_identity(
        Identity("DC", CredentialRole.PIV_AUTH, key, cert, (), "dc", p.credential_scope)
    )
    with pytest.raises(AccessDeniedError, match="personal profile"):
        store.identities("com.example.game")


def test_ios_is_still_registered() -> None:
    assert PLATFORMS["ios"] is IOS


# --- the family: declared once on the platform, read by the renderers and the lab ---------------


@pytest.mark.parametrize("name", sorted(PLATFORMS))
def test_the_family_names_the_store_the_platform_declares(name: str) -> None:
    p = platform(name)
    assert isinstance(p.family, Family)
    assert p.store_type.platform_family == p.family.value == p.store_family
    assert type(p.new_store()) is p.store_type


@pytest.mark.parametrize("name", sorted(PLATFORMS))
def test_every_platform_family_has_renderers_and_a_lab_plan(name: str, pki: LabPKI) -> None:
    """The agent renders every profile the lab deploys to the platform's family: its trusted
    root and each `PLAN` entry, found through the platform (and through its name)."""
    p = platform(name)
    assert renderers_of(p.family)
    plan = tenant_profiles.PLAN[p.family]
    assert plan
    roots = tenant_profiles.Roots("https://graph.example/beta", "root-1", "root-2")
    bodies = [tenant_profiles.trusted_root(p.family, "Root", pki.tls_root.cert)]
    bodies += [build(roots) for _key, build in plan]
    for body in bodies:
        renderer = renderer_for(p, body["@odata.type"])
        assert renderer.family is p.family
        assert type(renderer_for(name, body["@odata.type"])) is type(renderer)


def test_lab_family_table_is_the_agent_registry_view() -> None:
    assert {n: cls.family for n, cls in PLATFORMS.items()} == tenant_profiles.FAMILY
    assert set(tenant_profiles.FAMILY) == set(PLATFORMS)
    assert set(tenant_profiles.PLAN) == set(tenant_profiles.FAMILIES) == set(Family)


def test_family_of_reads_the_platform_its_name_or_a_family_name() -> None:
    assert family_of(platform("android-work-profile")) is Family.ANDROID
    assert family_of("android-fully-managed") is Family.ANDROID
    assert family_of("android") is Family.ANDROID
    with pytest.raises(UnsupportedError, match="unknown platform 'blackberry'"):
        family_of("blackberry")
