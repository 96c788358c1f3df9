"""How a device reads the enrollment QR code: the camera of a phone or tablet, or (Windows) the
provider app reading the portal page shown on the same PC. Both decode the image with zxing-cpp."""

from __future__ import annotations

import io
from dataclasses import dataclass

import zxingcpp
from PIL import Image, UnidentifiedImageError

from .errors import CameraBlockedError, NoCodeFoundError

MAX_IMAGE_BYTES = 4 * 1024 * 1024


@dataclass
class Camera:
    #: Set when a device-restriction profile disables the camera.
    blocked_by_policy: bool = False

    def scan(self, image: bytes) -> str:
        """Return the text of the one QR code in `image` (PNG/JPEG bytes)."""
        if self.blocked_by_policy:
            raise CameraBlockedError(
                "the camera is disabled by a device configuration policy: the QR code that links "
                "this device to the smart-card sign-in cannot be scanned"
            )
        return decode_qr(image)


@dataclass
class ScreenReader:
    """Windows: the provider app takes the code from the portal page open on the same PC (the
    image the browser shows), so no camera is involved and a camera policy does not apply."""

    def scan(self, image: bytes) -> str:
        return decode_qr(image)


def decode_qr(image: bytes) -> str:
    """The text of the one QR code in `image` (PNG/JPEG bytes)."""
    if len(image) > MAX_IMAGE_BYTES:
        raise NoCodeFoundError("image too large to scan")
    try:
        img = Image.open(io.BytesIO(image))
        img.load()
    except (UnidentifiedImageError, OSError) as e:
        raise NoCodeFoundError(f"not an image: {e}") from e
    found = zxingcpp.read_barcodes(
        img, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )
    if not found:
        raise NoCodeFoundError("no QR code found in the image")
    if len(found) > 1:
        raise NoCodeFoundError(f"{len(found)} QR codes in view; expected one")
    return str(found[0].text)
