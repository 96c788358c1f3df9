"""Which issuer x platform combinations the lab runs, and why the others do not run.

The contract tests and the demo read this table; a combination moves from `UNSUPPORTED` to
`SUPPORTED` when both its issuer and its platform module exist on each side.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Combo:
    issuer: str
    platform: str
    os_version: str
    model: str
    device_name: str


SUPPORTED: list[Combo] = [
    Combo("entrust", "ios", "17.5", "iPhone15,2", "QA-iPhone-01"),
    Combo("intercede", "ios", "17.5", "iPad14,1", "QA-iPad-01"),
]

#: (issuer, platform) → the reason it does not run (yet, or ever).
UNSUPPORTED: dict[tuple[str, str], str] = {
    ("purebred", "ios"): "DISA Purebred's registration-agent flow is not wired into the lab yet",
    ("entrust", "android-fully-managed"): "Android platform module not wired into the lab yet",
    ("intercede", "android-fully-managed"): "Android platform module not wired into the lab yet",
    ("entrust", "windows"): "Windows provider-app flow not wired into the lab yet",
    ("intercede", "windows"): "Windows provider-app flow not wired into the lab yet",
}
