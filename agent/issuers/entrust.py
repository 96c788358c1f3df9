"""Entrust: the user signs in to the Entrust portal with card and PIN on a PC; the portal shows a
QR code and a numeric password; Company Portal scans the code and the user types the password."""

from __future__ import annotations

from ..errors import EnrollmentError
from .base import CapturedCode, FlowContext, IssuerClient


class Entrust(IssuerClient):
    name = "entrust"
    display = "Entrust"
    intune_issuer = "entrustDatacard"
    password_required = True

    async def capture_code(self, ctx: FlowContext) -> CapturedCode:
        portal = await ctx.workstation.sign_in(ctx.user, ctx.issuer_url)
        offer = await portal.request_enrollment()
        token = self.parse_qr(ctx.device.camera.scan(offer.qr_png))
        if offer.password is None:
            raise EnrollmentError("the Entrust portal showed no password to type on the device")
        # The user reads the password off the workstation screen and types it on the device.
        return CapturedCode(token, offer.password)
