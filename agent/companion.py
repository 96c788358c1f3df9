"""Companion apps: apps other than the credential app that an issuer's workflow puts on the
device (the DISA Purebred app). A companion app belongs to its `Device`, which persists it with
everything else (its key vault encrypted under the device's key-encryption key), so a device
loaded from its state directory has the same apps, holding the same keys.

Each app type registers itself by `kind` (declared at import); `Device.load` looks the saved
kind up here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

from .errors import UnsupportedError

if TYPE_CHECKING:
    from .device import Device


class CompanionApp(ABC):
    #: Registry key, saved with the device.
    kind: ClassVar[str]
    #: Bundle id (iOS) / package (Android) / app id (Windows).
    app_id: ClassVar[str]

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "kind" in cls.__dict__:
            COMPANION_APPS[cls.kind] = cls

    @abstractmethod
    def to_json(self, kek: bytes) -> dict[str, Any]: ...

    @classmethod
    @abstractmethod
    def from_json(cls, doc: dict[str, Any], device: Device, kek: bytes) -> CompanionApp: ...


COMPANION_APPS: dict[str, type[CompanionApp]] = {}


def companion_from_json(doc: dict[str, Any], device: Device, kek: bytes) -> CompanionApp:
    cls = COMPANION_APPS.get(str(doc.get("kind")))
    if cls is None:
        raise UnsupportedError(
            f"the saved device has an app of kind {doc.get('kind')!r} that no loaded module "
            f"declares (known: {', '.join(sorted(COMPANION_APPS)) or 'none'})"
        )
    return cls.from_json(doc, device, kek)
