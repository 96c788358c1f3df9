"""How the DISA Purebred app's keys reach the credential app, by platform family:

- iOS: Company Portal picks files from the Purebred app's file provider and opens them with the
  password the user copies from the Purebred app (`company_portal_import`);
- Android: the Purebred app installs its keys into the KeyChain of the profile the Intune app
  runs in, and the Intune app asks the user to choose each certificate once
  (`intune_app_import`);
- Windows: the Purebred app installs its keys into the signed-in user's personal store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, cast

from trust_store.stores import Identity

from ..device import Device
from ..errors import UnsupportedError
from ..platforms import Family
from .app import PUREBRED_APP, PurebredApp
from .vault import ShareFilter, open_shared

#: The issuer name the identities carry (`Identity.issuer`).
ISSUER = "purebred"

def company_portal_import(
    device: Device,
    app: PurebredApp,
    share_filter: ShareFilter = ShareFilter.ALL,
    *,
    all_versions: bool = False,
) -> list[Identity]:
    """iOS: Company Portal picks files from the Purebred app's file provider (newest key of each
    type unless `all_versions`), opens them with the password the user copied from the Purebred
    app, and installs them in its shared keychain group."""
    app.ensure_runnable()
    typed = app.share_password  # read on the Purebred screen, typed into Company Portal
    present = {i.ref for i in device.store.all_identities()}
    installed = []
    for f in app.files.list(share_filter, all_versions=all_versions):
        role = f.type.role
        ref = f"PUREBRED-{f.name}"
        if role is None or ref in present:
            continue  # device identities stay with Purebred; an import is idempotent
        item = open_shared(f, typed)
        scope = device.platform.credential_scope
        ident = Identity.of(ref, role, item, scope, issuer=ISSUER, current=f.current)
        installed.append(device.store.add_identity(ident))
    return installed


class _KeyChain(Protocol):
    """What the Android hand-over needs of the store (trust_store's AndroidKeyChain)."""

    def app_profile(self, package: str) -> str | None: ...
    def register_app(self, package: str, profile: str) -> None: ...
    def add_identity(self, identity: Identity, *, installer: str = ...) -> Identity: ...
    def choose_certificate(self, app: str, alias: str) -> Identity: ...
    def all_identities(self) -> list[Identity]: ...


def intune_app_import(device: Device, app: PurebredApp, *, all_versions: bool = False) -> list[str]:
    """Android: the Purebred app installs its keys (newest of each type unless `all_versions`)
    into the KeyChain of the profile the Intune app runs in; the Intune app then asks the user
    to choose each certificate. The KeyChain remembers a choice, so running this again prompts
    for new certificates only. Returns the aliases."""
    app.ensure_runnable()
    store = device.store
    if not callable(getattr(store, "choose_certificate", None)):
        raise UnsupportedError(
            f"{device.platform.display} has no KeyChain certificate chooser; the Purebred "
            "hand-over to the Intune app needs an Android KeyChain"
        )
    keychain = cast(_KeyChain, store)
    intune = device.platform.credential_app
    profile = keychain.app_profile(intune)
    if profile is None:
        raise UnsupportedError(f"{intune} is not installed on {device.spec.name}")
    keychain.register_app(PUREBRED_APP, profile)
    present = {i.ref for i in keychain.all_identities()}
    aliases = []
    for h in app.vault.select(all_versions=all_versions):
        role = h.type.role
        if role is None:
            continue
        alias = f"purebred-{h.type.value}-{h.serial[:12]}"
        if alias not in present:
            ident = Identity.of(alias, role, h.item, profile, issuer=ISSUER, current=h.current)
            keychain.add_identity(ident, installer=PUREBRED_APP)
        keychain.choose_certificate(intune, alias)
        aliases.append(alias)
    return aliases


def hand_over(device: Device, app: PurebredApp, *, all_versions: bool) -> list[Identity]:
    """The Purebred app's keys, handed to the credential app the platform's way."""
    app.ensure_runnable()
    how = HAND_OVER.get(device.platform.family)
    if how is None:
        raise UnsupportedError(
            f"the DISA Purebred app cannot hand keys over on {device.platform.display}"
        )
    return how(device, app, all_versions)


def _windows_install(device: Device, app: PurebredApp, all_versions: bool) -> list[Identity]:
    """Windows: the Purebred app puts its keys in the signed-in user's personal store."""
    installed = []
    for h in app.vault.select(all_versions=all_versions):
        role = h.type.role
        if role is None:
            continue
        ref = f"PUREBRED-{h.type.value}-{h.serial[:12]}".upper()
        scope = device.platform.credential_scope
        ident = Identity.of(ref, role, h.item, scope, issuer=ISSUER, current=h.current)
        installed.append(device.store.add_identity(ident))
    return installed


def _company_portal(device: Device, app: PurebredApp, all_versions: bool) -> list[Identity]:
    return company_portal_import(device, app, all_versions=all_versions)


def _intune_app(device: Device, app: PurebredApp, all_versions: bool) -> list[Identity]:
    aliases = set(intune_app_import(device, app, all_versions=all_versions))
    return [i for i in device.store.all_identities() if i.ref in aliases]


HandOver = Callable[[Device, PurebredApp, bool], list[Identity]]

#: How the Purebred app's keys reach the credential app, by platform family.
HAND_OVER: dict[Family, HandOver] = {
    Family.IOS: _company_portal,
    Family.ANDROID: _intune_app,
    Family.WINDOWS: _windows_install,
}
