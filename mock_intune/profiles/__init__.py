"""Device-configuration profile types, keyed by `@odata.type` in `REGISTRY`.

Adding a type: a new module with one `@register`ed `ProfileType` subclass, imported below.
"""

from __future__ import annotations

from . import (
    android_derived_credential_auth,
    android_trusted_root,
    android_wifi,
    ios_derived_credential_auth,
    ios_email,
    ios_trusted_root,
    ios_vpn,
    ios_wifi,
    windows_trusted_root,
    windows_vpn,
    windows_wifi,
)
from .base import REGISTRY, ProfileType, Reference, lookup, normalise_type, register

__all__ = [
    "REGISTRY",
    "ProfileType",
    "Reference",
    "android_derived_credential_auth",
    "android_trusted_root",
    "android_wifi",
    "ios_derived_credential_auth",
    "ios_email",
    "ios_trusted_root",
    "ios_vpn",
    "ios_wifi",
    "lookup",
    "normalise_type",
    "register",
    "windows_trusted_root",
    "windows_vpn",
    "windows_wifi",
]
