"""Entrust: the user signs in to the Entrust portal with card and PIN on a PC; the portal shows a
QR code and a numeric password; Company Portal scans the code and the user types the password."""

from __future__ import annotations

from .base import IssuerClient


class Entrust(IssuerClient):
    name = "entrust"
    display = "Entrust"
    intune_issuer = "entrustDatacard"
    password_required = True
