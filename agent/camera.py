"""The device camera: decodes QR codes from images with zxing-cpp."""

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
