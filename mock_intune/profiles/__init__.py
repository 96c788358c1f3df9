"""Device-configuration profile types, keyed by `@odata.type` in `REGISTRY`.

Adding a type: a new module with one `@register`ed `ProfileType` subclass, imported below.
"""

from __future__ import annotations

from . import ios_trusted_root, ios_wifi
from .base import REGISTRY, ProfileType, Reference, lookup, normalise_type, register

__all__ = [
    "REGISTRY",
    "ProfileType",
    "Reference",
    "ios_trusted_root",
    "ios_wifi",
    "lookup",
    "normalise_type",
    "register",
]
