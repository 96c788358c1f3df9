"""Intercede MyID: the user signs in to MyID on a PC or kiosk with the card and requests a mobile
credential; the portal shows a QR code; the device scans it. There is no password. MyID re-keys
the credential automatically before it expires and when the person's DN or email changes
(`agent.rekey`)."""

from __future__ import annotations

from .base import IssuerClient


class Intercede(IssuerClient):
    name = "intercede"
    display = "Intercede MyID"
    intune_issuer = "intercede"
    password_required = False
    auto_rekey = True
