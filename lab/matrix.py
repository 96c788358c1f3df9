"""Which issuer x platform combinations the lab runs, and why the others do not run.

The contract tests and the demo read this table. Every issuer Intune supports for derived
credentials (DISA Purebred, Entrust, Intercede) runs on every platform Intune supports them on
(iOS/iPadOS, Android Enterprise fully managed and corporate-owned work profile, Windows 10/11);
`UNSUPPORTED` holds the combinations the documents exclude, with the reason a tester reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.device import DeviceSpec

ISSUERS = ("entrust", "intercede", "purebred")


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

#: Networks a device needs to reach an issuer. Purebred answers only on the on-premises network
#: (corporate Wi-Fi or VPN); the lab's devices are on the corporate Wi-Fi's enrollment SSID.
ISSUER_NETWORKS: dict[str, tuple[str, ...]] = {"purebred": ("corporate-wifi",)}


@dataclass(frozen=True)
class Combo:
    issuer: str
    platform: str
    os_version: str
    model: str
    device_name: str
    #: Remarks a tester should read next to this combination's results.
    notes: tuple[str, ...] = field(default=())

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
            networks=["internet", *ISSUER_NETWORKS.get(self.issuer, ())],
        )


NOTES: dict[tuple[str, str], tuple[str, ...]] = {
    ("purebred", "android-fully-managed"): (
        "the Intune admin center labels Purebred '(iOS only)' while Microsoft's Purebred "
        "documentation describes Android; the lab runs it",
    ),
    ("purebred", "android-work-profile"): (
        "the Intune admin center labels Purebred '(iOS only)'; the lab runs it",
    ),
}

SUPPORTED: list[Combo] = [
    Combo(
        issuer,
        d.platform,
        d.os_version,
        d.model,
        f"QA-{d.short}-{issuer[:2].upper()}",
        NOTES.get((issuer, d.platform), ()),
    )
    for issuer in ISSUERS
    for d in DEVICES
]

#: (issuer or "*", platform) → the reason it does not run.
UNSUPPORTED: dict[tuple[str, str], str] = {
    ("*", "android-personal-work-profile"): (
        "Intune derived credentials are for Android Enterprise fully managed and corporate-owned "
        "work profile devices; a personally owned work profile is not supported"
    ),
    ("*", "android-below-7.0"): (
        "Android Enterprise fully managed devices need Android 7.0 or later for derived "
        "credentials (the agent refuses older versions with this reason)"
    ),
    ("*", "macos"): "Intune offers no derived credentials for macOS",
    ("xTec", "*"): (
        "Intune's issuer enum lists xTec, but no public document describes its workflow"
    ),
}
