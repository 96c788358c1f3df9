"""Entrust: the portal shows a QR code and an 8-digit numeric password that the user types on
the device (Intune user-help pages for Entrust, see /work/shared/reference/domain.md). The
password length and attempt limit are this emulator's choice (not published)."""

from __future__ import annotations

from .issuer.base import Issuer, register


@register
class Entrust(Issuer):
    name = "entrust"
    display_name = "Entrust"
    password_required = True
    password_length = 8
    max_password_attempts = 5
