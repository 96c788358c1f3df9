"""Emulated device platforms, each one module behind `base.Platform` (registered by name)."""

# Importing the platform modules registers them.
from . import android, ios, windows  # noqa: F401
from .base import PLATFORMS, Family, Platform, platform

__all__ = ["PLATFORMS", "Family", "Platform", "platform"]
