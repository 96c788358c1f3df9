"""Android Enterprise KeyChain (aliases, grants, profiles) and Windows stores (My/Root/CA)."""

from __future__ import annotations

import uuid

import pytest
from cryptography.hazmat.primitives import hashes

from trust_store import certprofiles as cp
from trust_store import oids
from trust_store.clock import ManualClock
from trust_store.errors import (
    AccessDeniedError,
    ChainValidationError,
    NoTrustedRootError,
    StoreError,
)
from trust_store.keys import KeyAlgorithm, generate_key
from trust_store.labpki import LabPKI
from trust_store.stores import CertificateStore, CredentialRole, Identity
from trust_store.stores.android_keychain import (
    INTUNE_APP,
    PERSONAL,
    WORK,
    AndroidKeyChain,
    CertificateAccess,
)
from trust_store.stores.windows_store import (
    PROVIDER_APP,
    WindowsCertStore,
    thumbprint,
)

PUREBRED = "mil.disa.purebred"
OUTLOOK = "com.microsoft.office.outlook"
BROWSER = "com.android.chrome"
GAME = "com.example.game"


def identity(
    pki: LabPKI,
    ref: str,
    scope: str,
    *,
    chain: bool = True,
    role: CredentialRole = CredentialRole.PIV_AUTH,
) -> Identity:
    h = pki.derived["entrust"]
    key = generate_key(KeyAlgorithm.EC_P256)
    cert = h.issuing.issue(
        key.public_key(), cp.Subject("Alice", card_uuid=uuid.uuid4()), cp.DERIVED_PIV_AUTH
    )
    return Identity(
        ref, role, key, cert, (h.issuing.cert,) if chain else (), "Derived credential", scope
    )


class Approver:
    """The user at the KeyChain prompt: answers from a table, records every question."""

    def __init__(self, answers: dict[tuple[str, str], bool]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, str]] = []

    def __call__(self, package: str, alias: str) -> bool:
        self.asked.append((package, alias))
        return self.answers.get((package, alias), False)


# --- Android: grants ---------------------------------------------------------------------------


def android_store(pki: LabPKI, *aliases: str) -> AndroidKeyChain:
    store = AndroidKeyChain()
    for app in (OUTLOOK, BROWSER, PUREBRED):
        store.register_app(app, WORK)
    store.register_app(GAME, PERSONAL)
    for a in aliases:
        store.add_identity(identity(pki, a, WORK))
    return store


def test_the_installing_intune_app_may_use_its_keys_without_a_prompt(pki: LabPKI) -> None:
    store = android_store(pki, "DC-AUTH")
    store.approver = Approver({})
    assert [i.ref for i in store.identities(INTUNE_APP)] == ["DC-AUTH"]
    assert store.prompts == []


def test_user_approval_prompts_once_per_app_and_alias(pki: LabPKI) -> None:
    store = android_store(pki, "DC-AUTH")
    user = Approver({(OUTLOOK, "DC-AUTH"): True})
    store.approver = user
    assert [i.ref for i in store.identities(OUTLOOK)] == ["DC-AUTH"]
    assert [i.ref for i in store.identities(OUTLOOK)] == ["DC-AUTH"]
    assert user.asked == [(OUTLOOK, "DC-AUTH")]
    assert store.grant_of(OUTLOOK, "DC-AUTH") is True


def test_a_denial_is_remembered_and_explained(pki: LabPKI) -> None:
    store = android_store(pki, "DC-AUTH")
    user = Approver({(BROWSER, "DC-AUTH"): False})
    store.approver = user
    for _ in range(2):
        with pytest.raises(AccessDeniedError, match=r"denied .*DC-AUTH"):
            store.identities(BROWSER)
    assert user.asked == [(BROWSER, "DC-AUTH")]
    assert store.grant_of(BROWSER, "DC-AUTH") is False


def test_no_answer_gives_no_grant_and_is_not_remembered(pki: LabPKI) -> None:
    store = android_store(pki, "DC-AUTH")
    with pytest.raises(AccessDeniedError, match=r"no grant .*set an approver"):
        store.identities(OUTLOOK)
    assert store.grant_of(OUTLOOK, "DC-AUTH") is None
    store.approver = Approver({(OUTLOOK, "DC-AUTH"): True})
    assert store.identities(OUTLOOK)


def test_specific_apps_are_granted_silently_others_are_asked(pki: LabPKI) -> None:
    store = android_store(pki, "DC-AUTH")
    user = Approver({(BROWSER, "DC-AUTH"): True})
    store.approver = user
    store.set_certificate_access(CertificateAccess.SPECIFIC_APPS, [OUTLOOK])
    assert store.identities(OUTLOOK)
    assert user.asked == []
    assert store.identities(BROWSER)
    assert user.asked == [(BROWSER, "DC-AUTH")]
    store.set_certificate_access("userApproval")
    with pytest.raises(AccessDeniedError):
        store.identities(OUTLOOK)  # the silent grant went with the setting; user says no


@pytest.mark.parametrize(
    ("mode", "apps", "match"),
    [
        ("userApproval", [OUTLOOK], "specificApps"),
        ("specificApps", [], "at least one"),
        ("grantAll", [], "not one of"),
    ],
)
def test_bad_certificate_access_changes_nothing(
    pki: LabPKI, mode: str, apps: list[str], match: str
) -> None:
    store = android_store(pki)
    store.set_certificate_access("specificApps", [BROWSER])
    with pytest.raises(StoreError, match=match):
        store.set_certificate_access(mode, apps)
    assert store.certificate_access is CertificateAccess.SPECIFIC_APPS
    assert store.silent_apps == (BROWSER,)


def test_unknown_app_is_refused_with_a_reason(pki: LabPKI) -> None:
    store = android_store(pki, "DC-AUTH")
    with pytest.raises(AccessDeniedError, match="not installed"):
        store.identities("com.example.unknown")


def test_removing_a_key_removes_its_grants(pki: LabPKI) -> None:
    store = android_store(pki, "DC-AUTH")
    store.grant(OUTLOOK, "DC-AUTH")
    store.remove_identity("DC-AUTH")
    assert store.grant_of(OUTLOOK, "DC-AUTH") is None
    assert store.grant_of(INTUNE_APP, "DC-AUTH") is None
    with pytest.raises(StoreError, match="no KeyChain alias"):
        store.grant(OUTLOOK, "DC-AUTH")


# --- Android: profiles -------------------------------------------------------------------------


def test_personal_apps_never_see_work_keys(pki: LabPKI) -> None:
    store = android_store(pki, "DC-AUTH")
    user = Approver({(GAME, "DC-AUTH"): True})
    store.approver = user
    store.set_certificate_access("specificApps", [GAME])
    with pytest.raises(AccessDeniedError, match="personal profile and cannot see"):
        store.identities(GAME)
    with pytest.raises(AccessDeniedError, match="personal profile"):
        store.choose_certificate(GAME, "DC-AUTH")
    assert user.asked == []


def test_each_profile_sees_only_its_own_keys(pki: LabPKI) -> None:
    store = android_store(pki, "WORK-KEY")
    store.add_identity(identity(pki, "HOME-KEY", PERSONAL), installer=GAME)
    assert [i.ref for i in store.identities(GAME)] == ["HOME-KEY"]
    assert [i.ref for i in store.identities(INTUNE_APP)] == ["WORK-KEY"]


def test_an_app_installs_only_into_its_own_profile(pki: LabPKI) -> None:
    store = android_store(pki)
    with pytest.raises(StoreError, match="installed in the work profile"):
        store.add_identity(identity(pki, "HOME-KEY", PERSONAL))
    with pytest.raises(StoreError, match="no 'elsewhere' profile"):
        store.add_identity(identity(pki, "X", "elsewhere"))
    assert store.all_identities() == []


def test_a_fully_managed_device_has_no_personal_profile(pki: LabPKI) -> None:
    store = AndroidKeyChain(profiles=[WORK])
    with pytest.raises(StoreError, match="no 'personal' profile"):
        store.register_app(GAME, PERSONAL)
    assert store.app_profile(GAME) is None
    mixed = android_store(pki)
    with pytest.raises(StoreError, match="still hold"):
        mixed.set_profiles([WORK])


def test_roots_are_trusted_per_profile(pki: LabPKI, clock: ManualClock) -> None:
    store = android_store(pki)
    work = store.add_identity(identity(pki, "WORK-KEY", WORK))
    store.add_trusted_root(pki.derived["entrust"].root.cert, "user-added", profile=PERSONAL)
    with pytest.raises(NoTrustedRootError):
        store.validate(work, clock.now())
    store.add_trusted_root(pki.derived["entrust"].root.cert, "profile:root")  # work by default
    assert store.validate(work, clock.now(), policies=[oids.DERIVED_PIV_AUTH])[-1] == (
        pki.derived["entrust"].root.cert
    )
    store.remove_trusted_roots("profile:root")
    assert store.trusted_roots(WORK) == []
    assert store.trusted_roots() == [pki.derived["entrust"].root.cert]


# --- Android: the certificate chooser ----------------------------------------------------------


def test_choose_certificate_prompts_once_per_alias(pki: LabPKI) -> None:
    store = android_store(pki)
    for alias in ("PB-AUTH", "PB-SIGN"):
        store.add_identity(identity(pki, alias, WORK), installer=PUREBRED)
    user = Approver({(INTUNE_APP, "PB-AUTH"): True, (INTUNE_APP, "PB-SIGN"): True})
    store.approver = user
    for _ in range(2):
        for alias in ("PB-AUTH", "PB-SIGN"):
            assert store.choose_certificate(INTUNE_APP, alias).ref == alias
    assert user.asked == [(INTUNE_APP, "PB-AUTH"), (INTUNE_APP, "PB-SIGN")]
    assert [(p.kind, p.alias, p.answer) for p in store.prompts] == [
        ("choose", "PB-AUTH", True),
        ("choose", "PB-SIGN", True),
    ]
    assert len(store.identities(INTUNE_APP)) == 2  # granted: no further prompt
    assert len(user.asked) == 2


def test_cancelling_the_chooser_refuses_and_asks_again_next_time(pki: LabPKI) -> None:
    store = android_store(pki)
    store.add_identity(identity(pki, "PB-AUTH", WORK), installer=PUREBRED)
    with pytest.raises(AccessDeniedError, match="dismissed"):
        store.choose_certificate(INTUNE_APP, "PB-AUTH")
    store.approver = Approver({})
    with pytest.raises(AccessDeniedError, match="did not choose"):
        store.choose_certificate(INTUNE_APP, "PB-AUTH")
    store.approver = Approver({(INTUNE_APP, "PB-AUTH"): True})
    assert store.choose_certificate(INTUNE_APP, "PB-AUTH").ref == "PB-AUTH"
    with pytest.raises(StoreError, match="no KeyChain alias"):
        store.choose_certificate(INTUNE_APP, "NOPE")


def test_android_round_trip_keeps_grants_apps_access_and_roots(pki: LabPKI) -> None:
    store = AndroidKeyChain()
    for app in (OUTLOOK, BROWSER, PUREBRED):
        store.register_app(app, WORK)
    store.register_app(GAME, PERSONAL)
    auth = store.add_identity(identity(pki, "DC-AUTH", WORK))
    store.add_identity(identity(pki, "HOME-KEY", PERSONAL), installer=GAME)
    store.approver = Approver({(OUTLOOK, "DC-AUTH"): True})
    store.identities(OUTLOOK)
    store.approver = Approver({})
    with pytest.raises(AccessDeniedError):
        store.identities(BROWSER)
    store.set_certificate_access("specificApps", [PUREBRED])
    store.add_trusted_root(pki.derived["entrust"].root.cert, "profile:work-root")
    store.add_trusted_root(pki.derived["intercede"].root.cert, "user", profile=PERSONAL)

    again = CertificateStore.from_json(store.to_json(b"kek"), b"kek")
    assert isinstance(again, AndroidKeyChain)
    assert again.approver is None
    assert {i.ref: i.cert for i in again.all_identities()} == {
        "DC-AUTH": auth.cert,
        "HOME-KEY": store.alias("HOME-KEY").cert,
    }
    assert again.identities(OUTLOOK)[0].cert == auth.cert  # remembered yes, no prompt
    with pytest.raises(AccessDeniedError, match="denied"):
        again.identities(BROWSER)  # remembered no
    assert again.identities(PUREBRED)  # silent grant
    assert again.identities(INTUNE_APP)  # installer grant
    assert again.app_profile(GAME) == PERSONAL
    assert again.certificate_access is CertificateAccess.SPECIFIC_APPS
    assert again.trusted_roots(WORK) == [pki.derived["entrust"].root.cert]
    assert again.trusted_roots(PERSONAL) == [pki.derived["intercede"].root.cert]
    assert again.profiles == store.profiles


# --- Windows -----------------------------------------------------------------------------------

USER_MY = "CurrentUser\\My"
MACHINE_MY = "LocalMachine\\My"


def test_identities_are_referenced_by_uppercase_sha1_thumbprint(pki: LabPKI) -> None:
    store = WindowsCertStore()
    given = identity(pki, "ENROLLMENT-PIVAUTH", USER_MY)
    added = store.add_identity(given)
    expected = given.cert.fingerprint(hashes.SHA1()).hex().upper()
    assert added.ref == expected == thumbprint(given.cert)
    assert [i.ref for i in store.all_identities()] == [expected]
    spaced = " ".join(expected[i : i + 2] for i in range(0, 40, 2)).lower()
    (found,) = store.find_by_thumbprint(spaced)
    assert (found.path, found.identity) == (USER_MY, added)
    assert store.certificates("currentuser\\my") == [given.cert]
    with pytest.raises(StoreError, match="already exists"):
        store.add_identity(given)
    with pytest.raises(StoreError, match="40 hex"):
        store.find_by_thumbprint("not-a-thumbprint")
    store.remove_identity(expected.lower())
    assert store.all_identities() == []


def test_root_ca_and_my_hold_what_belongs_there(pki: LabPKI) -> None:
    store = WindowsCertStore()
    h = pki.derived["entrust"]
    store.add_trusted_root(h.root.cert, "profile:root")
    store.add_trusted_root(pki.piv.root.cert, "user", location="CurrentUser")
    assert store.certificates("LocalMachine\\Root") == [h.root.cert]
    assert store.certificates("CurrentUser\\Root") == [pki.piv.root.cert]
    assert set(store.trusted_roots("CurrentUser")) == {h.root.cert, pki.piv.root.cert}
    assert store.trusted_roots("LocalMachine") == [h.root.cert]
    store.add_intermediate(h.issuing.cert, "profile:ca")
    assert store.certificates("LocalMachine\\CA") == [h.issuing.cert]
    (entry,) = store.find_by_thumbprint(thumbprint(h.issuing.cert))
    assert (entry.path, entry.identity, entry.source) == ("LocalMachine\\CA", None, "profile:ca")

    leaf = identity(pki, "x", USER_MY)
    with pytest.raises(StoreError, match="not a self-signed CA"):
        store.add_trusted_root(leaf.cert, "bad")
    with pytest.raises(StoreError, match="not a CA"):
        store.add_intermediate(leaf.cert, "bad")
    with pytest.raises(StoreError, match="self-signed"):
        store.add_intermediate(h.root.cert, "bad")
    with pytest.raises(StoreError, match="My store"):
        store.add_identity(identity(pki, "x", "CurrentUser\\Root"))
    with pytest.raises(StoreError, match="unknown store location"):
        store.add_trusted_root(h.root.cert, "bad", location="Elsewhere")
    with pytest.raises(StoreError, match="unknown certificate store"):
        store.certificates("CurrentUser\\Disallowed")
    assert store.all_identities() == []
    assert len(store.certificates("LocalMachine\\Root")) == 1

    store.remove_trusted_roots("profile:root")
    assert store.certificates("LocalMachine\\Root") == []
    assert store.trusted_roots() == [pki.piv.root.cert]


def test_chain_validation_uses_intermediates_from_the_ca_store(
    pki: LabPKI, clock: ManualClock
) -> None:
    store = WindowsCertStore()
    h = pki.derived["entrust"]
    ident = store.add_identity(identity(pki, "x", USER_MY, chain=False))
    store.add_trusted_root(h.root.cert, "profile:root")
    with pytest.raises(ChainValidationError):
        store.validate(ident, clock.now())
    store.add_intermediate(h.issuing.cert, "profile:ca")
    chain = store.validate(ident, clock.now(), policies=[oids.DERIVED_PIV_AUTH])
    assert chain == [ident.cert, h.issuing.cert, h.root.cert]


def test_machine_identities_see_only_machine_roots(pki: LabPKI, clock: ManualClock) -> None:
    store = WindowsCertStore()
    h = pki.derived["entrust"]
    ident = store.add_identity(identity(pki, "x", MACHINE_MY))
    store.add_trusted_root(h.root.cert, "user", location="CurrentUser")
    with pytest.raises(NoTrustedRootError):
        store.validate(ident, clock.now())
    store.add_trusted_root(h.root.cert, "profile:root", location="LocalMachine")
    assert store.validate(ident, clock.now())[-1] == h.root.cert


def test_import_files_intermediates_under_ca_but_never_trusts_roots(pki: LabPKI) -> None:
    store = WindowsCertStore()
    h = pki.derived["entrust"]
    given = identity(pki, "x", USER_MY)
    given.chain = (h.issuing.cert, h.root.cert)
    store.add_identity(given)
    assert store.certificates("CurrentUser\\CA") == [h.issuing.cert]
    assert store.trusted_roots() == []


def test_user_keys_for_the_users_apps_machine_keys_for_services(pki: LabPKI) -> None:
    store = WindowsCertStore(user="alice")
    mine = store.add_identity(identity(pki, "u", USER_MY))
    machine = store.add_identity(identity(pki, "m", MACHINE_MY))
    assert store.identities("user:alice") == [mine]
    assert store.identities(PROVIDER_APP) == [mine]  # runs as the signed-in user
    assert store.identities("system") == [machine]
    with pytest.raises(AccessDeniedError, match="belongs to the signed-in user 'alice'"):
        store.identities("user:bob")
    assert not store.may_use("user:bob", mine)
    assert not store.may_use("user:alice", machine)
    assert store.denial_reason("user:alice", machine).startswith("LocalMachine\\My keys")
    with pytest.raises(AccessDeniedError, match="not a security context"):
        store.identities("Outlook")
    store.register_app("EapHost", "system")
    assert store.identities("EapHost") == [machine]
    with pytest.raises(StoreError, match="app context"):
        store.register_app("x", "admin")


def test_windows_round_trip_keeps_stores_user_and_apps(pki: LabPKI, clock: ManualClock) -> None:
    store = WindowsCertStore(user="alice")
    h = pki.derived["entrust"]
    ident = store.add_identity(identity(pki, "x", USER_MY, chain=False))
    store.add_trusted_root(h.root.cert, "profile:root")
    store.add_trusted_root(pki.piv.root.cert, "user", location="CurrentUser")
    store.add_intermediate(h.issuing.cert, "profile:ca", location="CurrentUser")
    store.register_app("EapHost", "system")

    again = CertificateStore.from_json(store.to_json(b"kek"), b"kek")
    assert isinstance(again, WindowsCertStore)
    assert again.user == "alice"
    (back,) = again.all_identities()
    assert (back.ref, back.scope, back.cert) == (ident.ref, USER_MY, ident.cert)
    for path in again.store_paths():
        assert again.certificates(path) == store.certificates(path), path
    assert again.context_of("EapHost") == "system"
    assert again.identities("user:alice")[0].ref == ident.ref
    assert again.validate(back, clock.now())[-1] == h.root.cert
