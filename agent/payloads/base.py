"""The profile-renderer interface: a policy as Intune delivers it (Graph-shaped JSON) becomes the
platform's native artifact (an Apple payload, an Android network config, a Windows XML), and its
effect on the device (a trusted root, a network that selects the derived credential)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, ClassVar

from cryptography import x509

from trust_store.stores import CertificateStore, CredentialRole, Identity

from ..errors import ProfileError, UnsupportedError
from ..platforms import PLATFORMS, Family, Platform
from .known_issues import DEFAULT_KNOWN_ISSUES

#: EAP types for which Intune offers "derived credential" as the authentication method.
DERIVED_CREDENTIAL_EAP_TYPES = frozenset({"eapTls", "eapTtls", "peap"})

#: Graph `eapType` → IANA EAP method type (Apple's `AcceptEAPTypes`, Windows' EapHost `Type`).
EAP_METHOD_TYPES = {
    "eapTls": 13,
    "leap": 17,
    "eapSim": 18,
    "eapTtls": 21,
    "peap": 25,
    "eapFast": 43,
    "teap": 55,
}


@dataclass(frozen=True)
class Artifact:
    policy_id: str
    kind: str
    filename: str
    media_type: str
    content: bytes
    summary: str


@dataclass
class ProfileContext:
    platform: str
    store: CertificateStore
    app: str
    #: Profiles already applied on this device, by policy id (roots are looked up here).
    applied: dict[str, Artifact] = field(default_factory=dict)
    #: Payload UUID given to each trusted root, by policy id.
    root_payload_uuids: dict[str, str] = field(default_factory=dict)
    root_certs: dict[str, x509.Certificate] = field(default_factory=dict)
    #: Names of the documented product defects reproduced (`known_issues.KNOWN_ISSUES`); all on
    #: by default.
    known_issues: frozenset[str] = DEFAULT_KNOWN_ISSUES

    def remember_root(self, policy_id: str, cert: x509.Certificate, ref: str) -> None:
        """Record a trusted-root profile's certificate and the reference the platform's artifact
        gives it (payload UUID, GUID, thumbprint), for the profiles that name the root later."""
        self.root_payload_uuids[policy_id] = ref
        self.root_certs[policy_id] = cert

    def derived_identity(self, role: CredentialRole = CredentialRole.PIV_AUTH) -> Identity:
        found = self.store.identities(self.app, role)
        if not found:
            raise ProfileError(
                f"the profile uses the derived credential, but no {role.value} "
                "credential is installed"
            )
        return found[0]


class Renderer:
    """One Graph profile type rendered for one platform family. A renderer module sets `family`
    on its base class; each concrete class names its `odata_type` and is registered by both."""

    family: ClassVar[Family]
    odata_type: ClassVar[str]

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "odata_type" in cls.__dict__:
            RENDERERS[(cls.family, cls.odata_type)] = cls

    def uses_derived_credential(self, policy: dict[str, Any]) -> bool:
        return policy.get("authenticationMethod") == "derivedCredential"

    def apply(self, policy: dict[str, Any], ctx: ProfileContext) -> Artifact:
        raise NotImplementedError


#: Renderers by (platform family, Graph `@odata.type` without the leading `#`).
RENDERERS: dict[tuple[Family, str], type[Renderer]] = {}


def family_of(platform: Platform | str) -> Family:
    """The family of a platform, given as the platform, its registered name or a family name."""
    if isinstance(platform, Platform):
        return platform.family
    if platform in PLATFORMS:
        return PLATFORMS[platform].family
    try:
        return Family(platform)
    except ValueError as e:
        raise UnsupportedError(
            f"unknown platform {platform!r}; known: {', '.join(sorted(PLATFORMS))}"
        ) from e


def renderers_of(family: Family) -> dict[str, type[Renderer]]:
    """The renderers of one family, by `@odata.type`."""
    return {t: cls for (f, t), cls in RENDERERS.items() if f is family}


def renderer_for(platform: Platform | str, odata_type: str) -> Renderer:
    """The renderer of `odata_type` for the platform's family (`platform` may be the platform
    or its registered name)."""
    cls = RENDERERS.get((family_of(platform), odata_type.removeprefix("#")))
    if cls is None:
        name = platform.name if isinstance(platform, Platform) else platform
        raise UnsupportedError(f"{name}: profile type {odata_type} is not supported by the agent")
    return cls()


def require_field(policy: dict[str, Any], name: str, kind: type) -> Any:
    value = policy.get(name)
    if not isinstance(value, kind) or value in ("", None):
        raise ProfileError(
            f"profile {policy.get('id', '?')}: field {name!r} is missing or not a {kind.__name__}"
        )
    return value


def root_certificate(policy: dict[str, Any]) -> x509.Certificate:
    """The DER certificate of a trusted-root profile (`trustedRootCertificate`, base64)."""
    raw = require_field(policy, "trustedRootCertificate", str)
    try:
        return x509.load_der_x509_certificate(base64.b64decode(raw, validate=True))
    except ValueError as e:
        raise ProfileError(
            f"profile {policy['id']}: trustedRootCertificate is not a DER certificate"
        ) from e
