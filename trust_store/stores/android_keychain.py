"""The Android Enterprise KeyChain: aliases, per-app grants, a personal side and a work profile.

- An identity is a KeyChain entry; its `Identity.ref` is the alias and its `Identity.scope` the
  profile it lives in: ``"work"`` (the managed profile; on a fully managed device everything is
  managed and the emulator calls it "work" too) or ``"personal"``.
- An app is a package id installed in exactly one profile (`register_app`). Android profiles are
  separate users: an app never sees the keys of the other profile, whatever its grants.
- Inside its profile an app may use an alias only with a grant. Grants come from:
  the app that installed the key (`add_identity(..., installer=...)`; the Intune app by default,
  as `DevicePolicyManager.installKeyPair(..., requestAccess=true)` does); the Intune derived
  credential profile's certificate access (`CertificateAccess.SPECIFIC_APPS`: the listed packages
  are granted silently); or the user, who answers a prompt the first time an app asks for an
  alias (`CertificateAccess.USER_APPROVAL`, Intune's default, and the fallback for unlisted apps
  in `SPECIFIC_APPS`). The prompt is the injectable `approver(package, alias) -> bool`; its
  answer, yes or no, is remembered per (app, alias) and persisted. Without an approver nobody
  answers: the app gets no grant and nothing is remembered.
- `choose_certificate` models `KeyChain.choosePrivateKeyAlias`: the app shows the system chooser
  and the user picks the alias, once; later calls return the granted key without a prompt (the
  DISA Purebred flow on Android: the Intune app asks the user to choose each certificate once).
- Trusted roots are kept per profile (a CA installed in the work profile is not trusted by the
  personal side); `add_trusted_root` defaults to the work profile, where Intune deploys them.

How Intune's silent grant works underneath is *unverified* (likely Android Management API
private-key selection rules); the emulator grants the listed packages every alias of the profile.
Values follow Graph's `androidDeviceOwnerCertificateAccessType` (`userApproval`, `specificApps`).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ..errors import AccessDeniedError, StoreError
from ..pem import fingerprint
from .base import CertificateStore, Identity

#: The Microsoft Intune app (Android Enterprise fully managed and corporate-owned work profile).
#: Company Portal for Android is a different package, `com.microsoft.windowsintune.companyportal`.
INTUNE_APP = "com.microsoft.intune"
WORK = "work"
PERSONAL = "personal"
PROFILES = (WORK, PERSONAL)

#: The user's answer to a KeyChain prompt: (package id, alias) -> granted?
Approver = Callable[[str, str], bool]


class CertificateAccess(StrEnum):
    """Graph `androidDeviceOwnerCertificateAccessType`."""

    USER_APPROVAL = "userApproval"
    SPECIFIC_APPS = "specificApps"


@dataclass(frozen=True)
class KeyChainPrompt:
    """One prompt the user saw: `kind` is "access" (an app asked for an alias) or "choose"."""

    kind: str
    package: str
    alias: str
    answer: bool


class AndroidKeyChain(CertificateStore):
    platform_family = "android"

    def __init__(self, profiles: Iterable[str] = PROFILES) -> None:
        super().__init__()
        self._apps: dict[str, str] = {INTUNE_APP: WORK}
        self._profiles: tuple[str, ...] = ()
        self.set_profiles(profiles)
        self._grants: dict[tuple[str, str], bool] = {}
        self._access = CertificateAccess.USER_APPROVAL
        self._silent: tuple[str, ...] = ()
        self._profile_roots: dict[str, dict[str, tuple[x509.Certificate, str]]] = {}
        #: The user answering KeyChain prompts; None: nobody answers (no grant is given).
        self.approver: Approver | None = None
        #: Every prompt shown, in order (not persisted: it is what the user saw this session).
        self.prompts: list[KeyChainPrompt] = []

    # --- profiles and apps --------------------------------------------------------------------
    @property
    def profiles(self) -> tuple[str, ...]:
        return self._profiles

    def set_profiles(self, profiles: Iterable[str]) -> None:
        """Which profiles the device has (a fully managed device: only the managed one)."""
        wanted = tuple(dict.fromkeys(profiles))
        unknown = [p for p in wanted if p not in PROFILES]
        if unknown or WORK not in wanted:
            raise StoreError(
                f"profiles must include {WORK!r} and be among {list(PROFILES)}; got {list(wanted)}"
            )
        in_use = {i.scope for i in self.all_identities()} | set(self._apps.values())
        if in_use - set(wanted):
            raise StoreError(f"profiles {sorted(in_use - set(wanted))} still hold apps or keys")
        self._profiles = wanted

    def _check_profile(self, profile: str) -> str:
        if profile not in self._profiles:
            raise StoreError(
                f"no {profile!r} profile on this device; its profiles are {list(self._profiles)}"
            )
        return profile

    def register_app(self, package: str, profile: str) -> None:
        if not package:
            raise StoreError("an app needs a package id")
        self._apps[package] = self._check_profile(profile)

    def app_profile(self, package: str) -> str | None:
        return self._apps.get(package)

    # --- identities ---------------------------------------------------------------------------
    def add_identity(self, identity: Identity, *, installer: str = INTUNE_APP) -> Identity:
        """Install a key pair under its alias; the installing app is granted access to it."""
        if not identity.ref:
            raise StoreError("a KeyChain entry needs an alias")
        self._check_profile(identity.scope)
        where = self._apps.get(installer)
        if where != identity.scope:
            raise StoreError(
                f"{installer} cannot install {identity.ref!r} into the {identity.scope} profile: "
                f"it is {'installed in the ' + where + ' profile' if where else 'not installed'}"
            )
        added = super().add_identity(identity)
        self._grants[(installer, identity.ref)] = True
        return added

    def remove_identity(self, ref: str) -> None:
        super().remove_identity(ref)
        self._grants = {k: v for k, v in self._grants.items() if k[1] != ref}

    def alias(self, alias: str) -> Identity:
        for i in self.all_identities():
            if i.ref == alias:
                return i
        raise StoreError(f"no KeyChain alias {alias!r}")

    # --- certificate access -------------------------------------------------------------------
    @property
    def certificate_access(self) -> CertificateAccess:
        return self._access

    @property
    def silent_apps(self) -> tuple[str, ...]:
        return self._silent

    def set_certificate_access(
        self, mode: CertificateAccess | str, silent_apps: Sequence[str] = ()
    ) -> None:
        """Apply the derived-credential profile's certificate access setting."""
        try:
            access = CertificateAccess(mode)
        except ValueError as e:
            allowed = [m.value for m in CertificateAccess]
            raise StoreError(f"certificate access {mode!r} is not one of {allowed}") from e
        apps = tuple(dict.fromkeys(a for a in silent_apps if a))
        if access is CertificateAccess.USER_APPROVAL and apps:
            raise StoreError("apps granted silently need certificate access 'specificApps'")
        if access is CertificateAccess.SPECIFIC_APPS and not apps:
            raise StoreError("certificate access 'specificApps' needs at least one package id")
        self._access, self._silent = access, apps

    def grant(self, package: str, alias: str) -> None:
        """Grant an app an alias (`DevicePolicyManager.grantKeyPairToApp`)."""
        self.alias(alias)
        self._grants[(package, alias)] = True

    def revoke(self, package: str, alias: str) -> None:
        """Forget an app's grant or the user's answer (`revokeKeyPairFromApp`)."""
        self._grants.pop((package, alias), None)

    def grant_of(self, package: str, alias: str) -> bool | None:
        """The remembered answer for (app, alias): True, False (denied) or None (never asked)."""
        return self._grants.get((package, alias))

    def _prompt(self, kind: str, package: str, alias: str) -> bool | None:
        if self.approver is None:
            return None
        answer = bool(self.approver(package, alias))
        self.prompts.append(KeyChainPrompt(kind, package, alias, answer))
        self._grants[(package, alias)] = answer
        return answer

    def _refusal(self, app: str, identity: Identity, *, prompt: bool) -> str | None:
        """None when `app` may use `identity`; otherwise why not. May prompt the user."""
        alias = identity.ref
        where = self._apps.get(app)
        if where is None:
            return (
                f"{app} is not installed on this device; register it with "
                f"register_app(package, profile) in one of {list(self._profiles)}"
            )
        if where != identity.scope:
            return (
                f"{app} runs in the {where} profile and cannot see alias {alias!r} in the "
                f"{identity.scope} profile (Android keeps each profile's keys to its own apps)"
            )
        if self._access is CertificateAccess.SPECIFIC_APPS and app in self._silent:
            return None
        granted = self._grants.get((app, alias))
        if granted is None and prompt:
            granted = self._prompt("access", app, alias)
        if granted:
            return None
        if granted is False:
            return (
                f"the user denied {app} access to KeyChain alias {alias!r}; ask again with "
                f"choose_certificate, or list the app under certificate access 'specificApps'"
            )
        return (
            f"{app} has no grant for KeyChain alias {alias!r} and no one answered the "
            f"certificate-access prompt (certificate access {self._access.value!r}); set an "
            f"approver, or list the app under certificate access 'specificApps'"
        )

    def may_use(self, app: str, identity: Identity) -> bool:
        return self._refusal(app, identity, prompt=True) is None

    def denial_reason(self, app: str, identity: Identity) -> str:
        return self._refusal(app, identity, prompt=False) or super().denial_reason(app, identity)

    def choose_certificate(self, app: str, alias: str) -> Identity:
        """`KeyChain.choosePrivateKeyAlias`: the user picks `alias` for `app`, once."""
        identity = self.alias(alias)
        refusal = self._refusal(app, identity, prompt=False)
        if refusal is None:
            return identity
        if self._apps.get(app) != identity.scope:
            raise AccessDeniedError(refusal)
        answer = self._prompt("choose", app, alias)
        if answer is None:
            raise AccessDeniedError(
                f"the certificate chooser for {app} was dismissed: no one answered (set an "
                f"approver)"
            )
        if not answer:
            raise AccessDeniedError(f"the user did not choose alias {alias!r} for {app}")
        return identity

    # --- trust (per profile) ------------------------------------------------------------------
    def add_trusted_root(self, cert: x509.Certificate, source: str, profile: str = WORK) -> None:
        self._check_profile(profile)
        super().add_trusted_root(cert, source)
        self._profile_roots.setdefault(profile, {})[fingerprint(cert)] = (cert, source)
        self._sync_roots()

    def remove_trusted_roots(self, source: str, profile: str | None = None) -> None:
        for p, roots in self._profile_roots.items():
            if profile is None or p == profile:
                self._profile_roots[p] = {k: v for k, v in roots.items() if v[1] != source}
        self._sync_roots()

    def trusted_roots(self, profile: str | None = None) -> list[x509.Certificate]:
        """The roots trusted in `profile`, or in any profile when None."""
        if profile is None:
            return super().trusted_roots()
        return [c for c, _ in self._profile_roots.get(profile, {}).values()]

    def _sync_roots(self) -> None:
        self._roots = {k: v for roots in self._profile_roots.values() for k, v in roots.items()}

    def validation_roots(self, identity: Identity) -> list[x509.Certificate]:
        """Validation uses the roots trusted in the identity's own profile."""
        return self.trusted_roots(identity.scope)

    # --- persistence --------------------------------------------------------------------------
    def extra_json(self) -> dict[str, Any]:
        return {
            "profiles": list(self._profiles),
            "apps": dict(self._apps),
            "grants": [
                {"package": p, "alias": a, "granted": g} for (p, a), g in self._grants.items()
            ],
            "certificateAccess": {"mode": self._access.value, "silentApps": list(self._silent)},
            "roots": [
                {
                    "profile": p,
                    "cert": base64.b64encode(c.public_bytes(Encoding.DER)).decode(),
                    "source": s,
                }
                for p, roots in self._profile_roots.items()
                for c, s in roots.values()
            ],
        }

    def load_extra(self, extra: dict[str, Any]) -> None:
        if "profiles" in extra:
            self._profiles = tuple(extra["profiles"])
        self._apps.update(extra.get("apps", {}))
        for g in extra.get("grants", []):
            self._grants[(g["package"], g["alias"])] = bool(g["granted"])
        access = extra.get("certificateAccess")
        if access:
            self.set_certificate_access(access["mode"], access.get("silentApps", ()))
        if "roots" in extra:
            self._profile_roots = {}
            for r in extra["roots"]:
                cert = x509.load_der_x509_certificate(base64.b64decode(r["cert"]))
                self._profile_roots.setdefault(r["profile"], {})[fingerprint(cert)] = (
                    cert,
                    r["source"],
                )
            self._sync_roots()
