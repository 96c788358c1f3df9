"""Intercede MyID: portal sign-in with the card, a QR code and no password; automatic re-key
before expiry (`DCEMU_INTERCEDE_REKEY_BEFORE_EXPIRY_DAYS`) and on a DN or e-mail change.
Server: `mock_issuers/intercede.py`; client: `agent/issuers/intercede.py`."""

from __future__ import annotations

from agent.issuers import Intercede
from mock_issuers.intercede import Intercede as IntercedeServer

from .portal import PortalIssuerPlugin


class IntercedePlugin(PortalIssuerPlugin):
    name = "intercede"
    client = Intercede
    server = IntercedeServer
    demo_user = ("Bob Jones", "bob@corp.example")
