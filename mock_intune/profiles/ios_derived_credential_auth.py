"""iOS/iPadOS derived-credential app-authentication profile
(`iosDerivedCredentialAuthenticationConfiguration`): only the inherited properties; its
meaning is "let managed apps authenticate with the derived credential"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..platforms import Platform
from .base import GRAPH_NS, ProfileType, register


@register
class IosDerivedCredentialAuthenticationConfiguration(ProfileType):
    odata_type = GRAPH_NS + "iosDerivedCredentialAuthenticationConfiguration"
    platform = Platform.IOS

    def uses_derived_credential(self, props: Mapping[str, Any]) -> bool:
        return True
