"""Mock Microsoft Intune tenant: derived-credential settings, device-configuration profiles and
assignments through a Graph-beta-shaped admin API, and a device channel for check-in.

Entry point: `create_app(ServerSettings(), clock, rand)`.
"""

from __future__ import annotations

from .app import create_app
from .env import TENANT
from .model import Tenant
from .settings import ServerSettings

__all__ = ["TENANT", "ServerSettings", "Tenant", "create_app"]
