"""`dcemu demo`: the whole derived-credential flow on loopback, told step by step.

An Intune administrator configures the tenant (issuer, trusted roots, a Wi-Fi profile that uses
the derived credential); the agency issues the user a PIV card; the user's device enrolls in
Intune, Company Portal asks for a derived credential, the user signs in at the issuer's portal
with the card, the device scans the QR code, obtains and installs its credential, validates the
chain to the deployed root and applies the Wi-Fi profile.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.device import Device, DeviceSpec
from agent.user import Workstation

from .matrix import SUPPORTED, UNSUPPORTED
from .report import device_entry, write_report
from .world import INTUNE_ISSUER, Lab

Echo = Callable[[str], None]


@dataclass
class DemoCase:
    """One device of the demo: which issuer and platform, and what the tenant deploys."""

    issuer: str
    intune_issuer: str
    platform: str
    os_version: str
    model: str
    device_name: str


SPINE = [
    DemoCase(c.issuer, INTUNE_ISSUER[c.issuer], c.platform, c.os_version, c.model, c.device_name)
    for c in SUPPORTED
]


@dataclass
class DemoResult:
    devices: list[dict[str, Any]] = field(default_factory=list)
    report: Path | None = None
    ok: bool = False


async def run_demo(
    *,
    out: Path | None = None,
    seed: int | None = None,
    state_dir: Path | None = None,
    echo: Echo = print,
    cases: list[DemoCase] | None = None,
) -> DemoResult:
    cases = cases or SPINE
    started = time.perf_counter()
    issuers = tuple(sorted({c.issuer for c in cases}))
    n = 0

    def step(text: str) -> None:
        nonlocal n
        n += 1
        echo(f"{n:>3}. {text}")

    echo("dcemu demo: derived PIV credentials (NIST SP 800-157) end to end, on loopback\n")
    result = DemoResult()
    async with Lab.start(issuers=issuers, seed=seed, state_dir=state_dir) as lab:
        step(
            f"lab PKI ready: TLS root, PIV card hierarchy, derived hierarchies for {', '.join(issuers)}"
        )
        step(f"card authority  {lab.servers.card_authority_url}")
        for name, url in lab.servers.issuer_urls.items():
            step(f"issuer {name:<9}{url}  (OpenAPI: {url}/openapi.json)")
        step(f"mock Intune     {lab.servers.intune_url}")
        for case in cases:
            device = await _run_case(case, lab, step)
            result.devices.append(device_entry(out, device, {"issuer": case.issuer}))
        result.ok = all(d["state"] == "complete" for d in result.devices)
        summary = {
            "devices": len(result.devices),
            "complete": sum(d["state"] == "complete" for d in result.devices),
            "seconds": round(time.perf_counter() - started, 2),
        }
        echo("\nSummary")
        for d in result.devices:
            certs = ", ".join(sorted({c["role"] for c in d["certificates"] if c["current"]}))
            echo(
                f"  {d['name']:<14} {d['platform']:<8} {d['issuer']:<9} {d['state']:<10} "
                f"certs: {certs or '-'}; profiles: {len(d['profiles'])}"
                + (f"; failed: {d['failure']['reason']}" if d["failure"] else "")
            )
        echo(
            f"  {summary['complete']}/{summary['devices']} devices complete in {summary['seconds']} s"
        )
        for (issuer, platform), why in sorted(UNSUPPORTED.items()):
            echo(f"  not run: {issuer} on {platform}: {why}")
        if out is not None:
            result.report = write_report(out, lab.pki, result.devices, summary)
            echo(f"  report: {result.report}")
    return result


async def _run_case(case: DemoCase, lab: Lab, step: Echo) -> Device:
    setup = await lab.configure_tenant(case.issuer)
    step(f"admin: tenant issuer set to {setup.settings['issuer']} (one issuer per tenant)")
    step("admin: trusted-root profiles deployed (derived-credential root, RADIUS server root)")
    step(
        f"admin: Wi-Fi profile {setup.profiles['wifi']['displayName']!r}: EAP-TLS, derived credential"
    )
    user = await lab.new_user("Alice Smith", "alice@corp.example")
    step(f"agency: PIV card issued to {user.name} (card UUID {user.card.card_uuid}), PIN set")
    spec = DeviceSpec(
        id=f"{case.platform}-{case.issuer}-01",
        name=case.device_name,
        platform=case.platform,
        os_version=case.os_version,
        model=case.model,
        upn=user.upn,
    )
    device = lab.new_device(spec)

    def narrate(dev: Device, text: str) -> None:
        step(f"[{dev.spec.name}] {text}")

    workstation = Workstation(lab.transport)
    try:
        state = await lab.credential_app(device, narrate).sync(user, workstation)
    finally:
        await workstation.close()
    step(f"[{spec.name}] enrollment state: {state.value}")
    return device
