from __future__ import annotations

import io

import pytest
import qrcode
from PIL import Image

from agent.camera import Camera
from agent.errors import CameraBlockedError, NoCodeFoundError


def qr_png(text: str) -> bytes:
    img = qrcode.make(text)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def test_scans_a_png_qr_code() -> None:
    assert Camera().scan(qr_png("dcemu:entrust:1:abc")) == "dcemu:entrust:1:abc"


def test_blocked_camera_is_reported_as_such() -> None:
    with pytest.raises(CameraBlockedError, match="disabled by a device configuration policy"):
        Camera(blocked_by_policy=True).scan(qr_png("x"))


def test_blank_image_and_garbage() -> None:
    buf = io.BytesIO()
    Image.new("L", (200, 200), 255).save(buf, format="PNG")
    with pytest.raises(NoCodeFoundError):
        Camera().scan(buf.getvalue())
    with pytest.raises(NoCodeFoundError):
        Camera().scan(b"not an image")
