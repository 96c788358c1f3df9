"""Intercede MyID: the portal (PC or kiosk) shows a QR code and no password; the phone scans it
(Intune user-help pages for Intercede). MyID renews a still-valid derived credential
automatically 28 days before expiry by default, and re-keys it when the person's DN or email
changes (`issuer.rekey`). Otherwise the same flow as Entrust."""

from __future__ import annotations

import datetime as dt

from .issuer.base import Issuer, register


@register
class Intercede(Issuer):
    name = "intercede"
    display_name = "Intercede MyID"
    password_required = False
    rekey_before_expiry = dt.timedelta(days=28)
