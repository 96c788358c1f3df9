"""The portal's QR code: a PNG of the text payload `dcemu:<issuer>:1:<token>`.

The mask pattern is fixed: qrcode otherwise renders all eight masks to pick one (about 4x
slower), which matters under load and not at all to a scanner.
"""

from __future__ import annotations

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M

BOX_SIZE = 8
BORDER = 4
MASK_PATTERN = 0


def qr_png(payload: str) -> bytes:
    code = qrcode.QRCode(
        error_correction=ERROR_CORRECT_M,
        box_size=BOX_SIZE,
        border=BORDER,
        mask_pattern=MASK_PATTERN,
    )
    code.add_data(payload)
    code.make(fit=True)
    buf = io.BytesIO()
    code.make_image().save(buf, format="PNG")
    return buf.getvalue()
