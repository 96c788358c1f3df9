"""Which issuer x platform combinations the lab runs, and why the others do not run.

The contract tests and the demo read this table. It is computed from the issuer plugins
(`lab.issuers`: each says which platforms it runs on, with notes) and the device models below
(one per platform Intune supports derived credentials on: iOS/iPadOS, Android Enterprise fully
managed and corporate-owned work profile, Windows 10/11). `unsupported()` holds the combinations
the documents exclude, with the reason a tester reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.device import DeviceSpec
from mock_intune.derived_credentials import Issuer as IntuneIssuer

from .issuers import ISSUER_PLUGINS


def issuer_names() -> tuple[str, ...]:
    """Every issuer the lab can run (its plugins), in registration order."""
    return tuple(ISSUER_PLUGINS)


@dataclass(frozen=True)
class DeviceModel:
    platform: str
    os_version: str
    model: str
    short: str


DEVICES = (
    DeviceModel("ios", "17.5", "iPhone15,2", "iPhone"),
    DeviceModel("android-fully-managed", "14", "Pixel 8", "Pixel-FM"),
    DeviceModel("android-work-profile", "13", "SM-S911B", "Galaxy-WP"),
    DeviceModel("windows", "10.0.22631", "Surface Laptop 5", "Surface"),
)


@dataclass(frozen=True)
class Combo:
    issuer: str
    platform: str
    os_version: str
    model: str
    device_name: str
    #: Remarks a tester should read next to this combination's results.
    notes: tuple[str, ...] = field(default=())
    #: Networks the device is on besides the internet (what the issuer needs).
    networks: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        return f"{self.issuer}-{self.platform}"

    def spec(self, upn: str, *, index: int = 1) -> DeviceSpec:
        return DeviceSpec(
            id=f"{self.platform}-{self.issuer}-{index:02d}",
            name=self.device_name if index == 1 else f"{self.device_name}-{index:02d}",
            platform=self.platform,
            os_version=self.os_version,
            model=self.model,
            upn=upn,
            networks=["internet", *self.networks],
        )


def _tag(issuer: str) -> str:
    """The issuer's part of a device name: two letters, or the whole name where two letters
    would be shared with another issuer."""
    short = issuer[:2].upper()
    shared = [n for n in ISSUER_PLUGINS if n != issuer and n[:2].upper() == short]
    return issuer.upper() if shared else short


def supported() -> list[Combo]:
    """Every issuer x platform pair the lab runs, issuer by issuer."""
    return [
        Combo(
            name,
            d.platform,
            d.os_version,
            d.model,
            f"QA-{d.short}-{_tag(name)}",
            tuple(plugin.notes.get(d.platform, ())),
            plugin.networks,
        )
        for name, plugin in ISSUER_PLUGINS.items()
        for d in DEVICES
        if plugin.runs_on(d.platform)
    ]


#: (issuer or "*", platform) → the reason it does not run: platforms the documents exclude.
UNSUPPORTED_PLATFORMS: dict[tuple[str, str], str] = {
    ("*", "android-personal-work-profile"): (
        "Intune derived credentials are for Android Enterprise fully managed and corporate-owned "
        "work profile devices; a personally owned work profile is not supported"
    ),
    ("*", "android-below-7.0"): (
        "Android Enterprise fully managed devices need Android 7.0 or later for derived "
        "credentials (the agent refuses older versions with this reason)"
    ),
    ("*", "macos"): "Intune offers no derived credentials for macOS",
}


def unsupported() -> dict[tuple[str, str], str]:
    """Every combination the lab does not run, with the reason: the platforms above, Intune
    issuers no plugin emulates, and platforms a plugin does not run on."""
    out = dict(UNSUPPORTED_PLATFORMS)
    emulated = {p.client.intune_issuer for p in ISSUER_PLUGINS.values()}
    for issuer in IntuneIssuer:
        if issuer.value not in emulated:
            out[(issuer.value, "*")] = (
                f"Intune's issuer enum lists {issuer.value}, but no public document describes "
                "its workflow"
            )
    for name, plugin in ISSUER_PLUGINS.items():
        for d in DEVICES:
            if not plugin.runs_on(d.platform):
                out[(name, d.platform)] = f"{plugin.client.display} does not run on {d.platform}"
    return out
