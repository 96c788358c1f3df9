"""Profiles applied by the agent, each rendered to the native artifact of the platform's family
(renderers are registered by family and `@odata.type`, and found through the platform)."""

# Importing the renderer modules registers them.
from . import android, apple, apple_vpn_mail, windows  # noqa: F401
from .base import (
    RENDERERS,
    Artifact,
    ProfileContext,
    Renderer,
    family_of,
    renderer_for,
    renderers_of,
)

__all__ = [
    "RENDERERS",
    "Artifact",
    "ProfileContext",
    "Renderer",
    "family_of",
    "renderer_for",
    "renderers_of",
]
