"""Profiles applied by the agent, each rendered to the platform's native artifact."""

# Importing the renderer modules registers them.
from . import android, apple, apple_vpn_mail, windows  # noqa: F401
from .base import RENDERERS, Artifact, ProfileContext, Renderer, renderer_for

__all__ = ["RENDERERS", "Artifact", "ProfileContext", "Renderer", "renderer_for"]
