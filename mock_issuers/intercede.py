"""Intercede MyID: the portal (PC or kiosk) shows a QR code and no password; the phone scans it
(Intune user-help pages for Intercede). Otherwise the same flow as Entrust."""

from __future__ import annotations

from .issuer.base import Issuer, register


@register
class Intercede(Issuer):
    name = "intercede"
    display_name = "Intercede MyID"
    password_required = False
