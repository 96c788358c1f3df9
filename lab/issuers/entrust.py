"""Entrust: portal sign-in with the card; the portal shows a QR code and an 8-digit password
the user types on the device. Server: `mock_issuers/entrust.py`; client: `agent/issuers/entrust.py`."""

from __future__ import annotations

from agent.issuers import Entrust
from mock_issuers.entrust import Entrust as EntrustServer

from .portal import PortalIssuerPlugin


class EntrustPlugin(PortalIssuerPlugin):
    name = "entrust"
    client = Entrust
    server = EntrustServer
    demo_user = ("Alice Smith", "alice@corp.example")
