"""Mock Microsoft Intune tenant: derived-credential settings, device-configuration profiles and
assignments through a Graph-beta-shaped admin API, and a device channel for check-in.

Entry point: `create_app(ServerSettings(), clock, rand)`; `app[GRAPH_APP]` holds the Graph
API's client credentials (`GraphApp`: tenant id, client id, secret, token path).
"""

from __future__ import annotations

from .app import create_app
from .env import TENANT
from .identity import GRAPH_APP
from .model import Tenant
from .registration import GraphApp
from .settings import ServerSettings

__all__ = ["GRAPH_APP", "TENANT", "GraphApp", "ServerSettings", "Tenant", "create_app"]
