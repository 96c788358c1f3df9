"""`dcemu demo`: every issuer on every platform, on loopback, told step by step.

For each issuer (one per tenant, as Intune allows) the administrator configures the tenant: the
issuer, trusted roots and every profile type that uses the derived credential on each platform.
The agency issues the user a PIV card. Then each of the user's devices obtains a credential:

- iOS and Android: the device enrolls in Intune, Company Portal / the Intune app is asked for a
  derived credential, the user signs in at the issuer's portal with the card and the device scans
  the QR code (Purebred: a registration agent supervises, with one-time passcodes, and the
  Purebred app must be managed and on the on-premises network);
- Windows: the user installs the issuer's provider app, which enrolls and fills the store.

The device validates the chain to the deployed root, applies the profiles (Wi-Fi, VPN, email,
app authentication), and the lab uses the credential: a managed app signs in to the relying party
by mutual TLS, and on iOS the Mail app signs, encrypts and decrypts S/MIME.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.device import Device
from agent.enrollment import State
from agent.payloads.known_issues import DEFAULT_KNOWN_ISSUES
from agent.user import User

from .matrix import Combo, supported, unsupported
from .report import check_entry, device_entry, write_report
from .settings import LabSettings
from .tenant_profiles import FAMILY
from .usage import UsageContext, use_credential
from .world import Lab

Echo = Callable[[str], None]


@dataclass
class DemoResult:
    devices: list[dict[str, Any]] = field(default_factory=list)
    report: Path | None = None
    ok: bool = False


def select(
    issuers: Iterable[str] = (), platforms: Iterable[str] = (), combos: list[Combo] | None = None
) -> list[Combo]:
    """The supported combinations, narrowed to the named issuers and platforms (any when none)."""
    want_i, want_p = set(issuers), set(platforms)
    return [
        c
        for c in (combos if combos is not None else supported())
        if (not want_i or c.issuer in want_i) and (not want_p or c.platform in want_p)
    ]


async def run_demo(
    *,
    out: Path | None = None,
    seed: int | None = None,
    state_dir: Path | None = None,
    echo: Echo = print,
    combos: list[Combo] | None = None,
    known_issues: frozenset[str] = DEFAULT_KNOWN_ISSUES,
    settings: LabSettings | None = None,
) -> DemoResult:
    combos = supported() if combos is None else combos
    started = time.perf_counter()
    issuers = tuple(dict.fromkeys(c.issuer for c in combos))
    n = 0

    def step(text: str) -> None:
        nonlocal n
        n += 1
        echo(f"{n:>3}. {text}")

    echo("dcemu demo: derived PIV credentials (NIST SP 800-157) end to end, on loopback\n")
    result = DemoResult()
    async with Lab.start(
        issuers=issuers,
        seed=seed,
        state_dir=state_dir,
        known_issues=known_issues,
        settings=settings,
    ) as lab:
        _announce(lab, issuers, step)
        for issuer in issuers:
            user = await _tenant_for(lab, issuer, step)
            for combo in (c for c in combos if c.issuer == issuer):
                result.devices.append(await _run_device(lab, combo, user, out, step))
        result.ok = bool(result.devices) and all(_device_ok(d) for d in result.devices)
        summary = {
            "devices": len(result.devices),
            "complete": sum(d["state"] == State.COMPLETE.value for d in result.devices),
            "checksPassed": sum(c["ok"] for d in result.devices for c in d["checks"]),
            "checks": sum(len(d["checks"]) for d in result.devices),
            "knownIssues": sorted(known_issues),
            "seconds": round(time.perf_counter() - started, 2),
        }
        _print_summary(echo, result.devices, summary)
        if out is not None:
            result.report = write_report(out, lab.pki, result.devices, summary)
            echo(f"  report: {result.report}")
    return result


def _announce(lab: Lab, issuers: tuple[str, ...], step: Echo) -> None:
    s = lab.servers
    step(
        f"lab PKI ready: TLS root, PIV card hierarchy, derived hierarchies for {', '.join(issuers)}"
    )
    step(f"card authority   {s.card_authority_url}")
    for name in issuers:
        url = s.issuer_urls[name]
        portal = s.portal_urls[name]
        where = f"portal {portal}, device API {url}" if portal != url else url
        step(f"issuer {name:<10}{where}  (OpenAPI: {portal}/openapi.json)")
    step(f"mock Intune      {s.intune_url}")
    step(f"relying party    {s.rp_url}  (mutual TLS, OCSP-checked)")


async def _tenant_for(lab: Lab, issuer: str, step: Echo) -> User:
    setup = await lab.configure_tenant(issuer)
    step(f"admin: tenant issuer set to {setup.settings['issuer']} (one issuer per tenant)")
    for family, made in setup.profiles.items():
        names = ", ".join(k for k in made if not k.endswith("root"))
        step(f"admin: {family}: trusted roots (derived root, RADIUS root) and {names}")
    name, upn = lab.issuer(issuer).demo_user or ("Dana Lee", f"dana.{issuer}@corp.example")
    user = await lab.new_user(name, upn)
    step(f"agency: PIV card issued to {user.name} (card UUID {user.card.card_uuid}), PIN set")
    return user


async def _run_device(
    lab: Lab, combo: Combo, user: User, out: Path | None, step: Echo
) -> dict[str, Any]:
    device = lab.new_device(combo.spec(user.upn))

    def narrate(dev: Device, text: str) -> None:
        step(f"[{dev.spec.name}] {text}")

    for note in combo.notes:
        narrate(device, f"note: {note}")
    state = await lab.obtain_credential(device, user, combo.issuer, narrate)
    narrate(device, f"enrollment state: {state.value}")
    checks = []
    if state is State.COMPLETE:
        use = UsageContext(device, lab.servers.rp_url, (lab.pki.tls_root.cert,))
        for check in await use_credential(use):
            narrate(device, f"{check.name}: {'ok' if check.ok else 'FAILED'}: {check.detail}")
            checks.append(check_entry(out, device, check))
    return device_entry(
        out,
        device,
        {
            "issuer": combo.issuer,
            "family": FAMILY[combo.platform],
            "notes": list(combo.notes),
            "checks": checks,
        },
    )


def _device_ok(d: dict[str, Any]) -> bool:
    return d["state"] == State.COMPLETE.value and all(c["ok"] for c in d["checks"])


def _print_summary(echo: Echo, devices: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    echo("\nSummary")
    for d in devices:
        certs = ", ".join(sorted({c["role"] for c in d["certificates"] if c["current"]}))
        kinds = ", ".join(sorted({p["kind"] for p in d["profiles"]}))
        checks = ", ".join(f"{c['name']}={'ok' if c['ok'] else 'FAILED'}" for c in d["checks"])
        echo(
            f"  {d['name']:<15} {d['platform']:<22} {d['issuer']:<9} {d['state']:<9} "
            f"certs: {certs or '-'}; profiles: {kinds or '-'}"
            + (f"; refused: {len(d['profileErrors'])}" if d["profileErrors"] else "")
            + (f"; {checks}" if checks else "")
            + (f"; failed: {d['failure']['reason']}" if d["failure"] else "")
        )
    echo(
        f"  {summary['complete']}/{summary['devices']} devices complete, "
        f"{summary['checksPassed']}/{summary['checks']} uses of the credential passed, "
        f"in {summary['seconds']} s"
    )
    if summary["knownIssues"]:
        echo(f"  known issues reproduced: {', '.join(summary['knownIssues'])}")
    for (issuer, platform), why in sorted(unsupported().items()):
        echo(f"  not run: {issuer} on {platform}: {why}")
