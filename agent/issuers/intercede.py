"""Intercede MyID: the user signs in to MyID on a PC or kiosk with the card and requests a mobile
credential; the portal shows a QR code; the device scans it. There is no password."""

from __future__ import annotations

from .base import IssuerClient


class Intercede(IssuerClient):
    name = "intercede"
    display = "Intercede MyID"
    intune_issuer = "intercede"
    password_required = False
