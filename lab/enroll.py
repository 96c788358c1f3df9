"""`dcemu enroll`: the agent against running services (`dcemu serve`'s, or anyone's that speak
the same protocols), described by a `lab.json`.

N devices of one issuer x platform pair, each with its own user and PIV card (issued through the
card authority's admin API), go through the whole flow; the report (the demo's JSON) says how
each ended. With `--state-dir`, every device is kept there: a second run resumes each device
where it stopped and never enrolls a complete device again, and one device's directory is never
used by two agents at once.

Before the devices, the tenant is made ready for the issuer: if its one issuer is another one,
the tenant is reset (an admin action) and configured as `dcemu demo` configures it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

from agent.card import card_from_json, card_to_json
from agent.credential_app import CredentialApp
from agent.device import INDEX, SECRET_SERVICE, Device
from agent.enrollment import State
from agent.errors import ServiceError
from agent.http import Transport
from agent.intune import IntuneChannel
from agent.issuers import IssuerDirectory
from agent.retry import RetryingTransport, RetryPolicy
from agent.statelock import StateLock
from agent.user import User, issue_card
from mock_intune import GraphApp
from trust_store.clock import OffsetClock, parse_iso
from trust_store.pem import write_private
from trust_store.randomness import Randomness
from trust_store.secrets import FileKeyring

from .crash import CrashingTransport
from .flows import obtain
from .issuers import Endpoint, IssuerPlugin, plugin_class
from .issuers.base import StaffContext
from .labfile import CARD_AUTHORITY, INTUNE, LabFile, LabFileError
from .matrix import Combo, supported
from .report import device_entry
from .tenant import TenantAdmin
from .tenant_profiles import FAMILY
from .tenant_setup import deploy_tenant

Echo = Callable[[str], None]


@dataclass(frozen=True)
class EnrollOptions:
    lab: Path
    issuer: str
    platform: str
    count: int = 1
    state_dir: Path | None = None
    out: Path | None = None
    seed: int | None = None
    #: Devices in flight at once.
    concurrency: int = 8
    #: Crash tests: the process kills itself (SIGKILL) right after this many answered requests.
    crash_after: int = 0
    #: The first device's index (several `dcemu enroll` runs on one lab use disjoint ranges).
    start_index: int = 1
    #: Earlier key-management keys on each new card (escrowed and recovered by the device).
    key_history: int = 2


@dataclass
class Remote:
    """A running lab seen from outside: its file, one transport and the lab clock."""

    labfile: LabFile
    transport: Transport
    clock: OffsetClock
    rand: Randomness

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.labfile.admin_token}"}

    def url(self, service: str) -> str:
        return self.labfile.service(service).url


async def lab_clock(transport: Transport, labfile: LabFile) -> OffsetClock:
    """The devices' clock: the lab's time (it may have been moved), read once."""
    doc = await transport.json_object(
        "GET",
        f"{labfile.service(INTUNE).url}/admin/time",
        headers={"Authorization": f"Bearer {labfile.admin_token}"},
        during="read the lab clock",
    )
    offset = parse_iso(str(doc["now"])) - dt.datetime.now(dt.UTC)
    return OffsetClock(offset)


def _combo(issuer: str, platform: str) -> Combo:
    for combo in supported():
        if (combo.issuer, combo.platform) == (issuer, platform):
            return combo
    raise LabFileError(f"the lab does not run {issuer} on {platform} (see `dcemu demo`)")


def _derived_root(labfile: LabFile, issuer: str) -> x509.Certificate:
    svc = labfile.service(issuer)
    path = svc.extra.get("derivedRoot")
    file = labfile.derived_roots
    if isinstance(path, str):
        file = Path(path) if Path(path).is_absolute() else (labfile.path or Path()).parent / path
    try:
        return x509.load_pem_x509_certificates(file.read_bytes())[0]
    except (OSError, ValueError, IndexError) as e:
        raise LabFileError(f"{labfile.path}: {issuer}'s derived root {file}: {e}") from e


async def ensure_tenant(remote: Remote, plugin: IssuerPlugin, echo: Echo) -> None:
    """The tenant's issuer is `plugin`'s, with the roots and profiles; configured if not."""
    lf = remote.labfile
    if lf.graph is None:
        raise LabFileError(f"{lf.path}: no graph client to configure the tenant with")
    graph = GraphApp(lf.graph.tenant, lf.graph.client_id, lf.graph.client_secret)
    admin = TenantAdmin(remote.transport, remote.url(INTUNE), graph, remote.clock)
    doc = await admin.graph("GET", "/deviceManagement/derivedCredentials", during="read tenant")
    current = [s.get("issuer") for s in (doc or {}).get("value", [])]
    if current == [plugin.intune_issuer]:
        return
    echo(f"tenant: issuer {current or 'none'} -> {plugin.intune_issuer} (reset, then configured)")
    await remote.transport.request(
        "POST", f"{remote.url(INTUNE)}/admin/reset", headers=remote.admin_headers, during="reset"
    )
    tls_root = remote.labfile.anchors()[0]
    await deploy_tenant(admin, plugin, _derived_root(lf, plugin.name), tls_root)


def _device_dir(state_dir: Path | None, device_id: str) -> Path | None:
    return state_dir / "devices" / device_id if state_dir else None


async def _one_device(
    remote: Remote,
    plugin: IssuerPlugin,
    directory: IssuerDirectory,
    combo: Combo,
    index: int,
    options: EnrollOptions,
    echo: Echo,
) -> dict[str, Any]:
    upn = f"user{index:04d}.{combo.issuer}@corp.example"
    spec = combo.spec(upn, index=index)
    path = _device_dir(options.state_dir, spec.id)
    rand = remote.rand.child(f"device/{spec.id}")
    if path is not None and (path / INDEX).exists():
        device = Device.load(path, remote.clock, rand)
    else:
        device = Device(spec, remote.clock, path, rand)
    started = time.monotonic()
    if device.machine.state is not State.COMPLETE:
        user = await _user(remote, upn, index, path, options.key_history)
        app = CredentialApp(
            device,
            IntuneChannel(remote.transport, remote.url(INTUNE)),
            remote.transport,
            directory,
        )
        await obtain(app, plugin, user)
        echo(f"  {spec.name:<22} {device.machine.state.value}" + _why(device))
    else:
        echo(f"  {spec.name:<22} complete (already)")
    return device_entry(
        options.out,
        device,
        {
            "issuer": combo.issuer,
            "family": FAMILY[combo.platform],
            "retries": device.retries,
            "seconds": round(time.monotonic() - started, 3),
        },
    )


def _no_note(_error: ServiceError, _delay: float) -> None:
    return None


def _why(device: Device) -> str:
    failure = device.machine.failure or device.sync_failure
    return f" ({failure['code']}: {failure['reason']})" if failure else ""


async def _user(
    remote: Remote, upn: str, index: int, keep: Path | None, key_history: int
) -> User:
    """The device's user with their PIV card: the one kept beside the device (a resumed device
    has the same person and card), or a new card from the card authority."""
    secret = keep / "secrets" if keep else None
    if keep is not None and (keep / "user.json").exists():
        doc = json.loads((keep / "user.json").read_text())
        card = card_from_json(doc["card"], _card_key(secret))
        return User(doc["name"], doc["upn"], doc["email"], card)
    user = await issue_card(
        remote.transport,
        remote.url(CARD_AUTHORITY),
        admin_token=remote.labfile.admin_token,
        name=f"User {index:04d}",
        upn=upn,
        email=upn,
        pin="123456",
        key_history=key_history,
        rand=remote.rand.child(f"user/{upn}"),
    )
    if keep is not None:
        doc = {
            "name": user.name,
            "upn": user.upn,
            "email": user.email,
            "card": card_to_json(user.card, _card_key(secret)),
        }
        write_private(keep / "user.json", json.dumps(doc).encode())
    return user


def _card_key(secrets: Path | None) -> bytes:
    """The key that encrypts the kept card's private keys (in the device's keyring file)."""
    assert secrets is not None
    keyring = FileKeyring(secrets)
    value = keyring.get_password(SECRET_SERVICE, "user-card")
    if value is None:
        value = Randomness().token_urlsafe(24)
        keyring.set_password(SECRET_SERVICE, "user-card", value)
    return value.encode()


async def run_enroll(options: EnrollOptions, echo: Echo = print) -> dict[str, Any]:
    """Run the devices; the report (also written to `options.out` when given). One agent at a
    time per state directory: a second one gets `DeviceBusyError` before touching anything."""
    if options.state_dir is None:
        return await _run_enroll(options, echo)
    with StateLock(options.state_dir, f"dcemu enroll --state-dir {options.state_dir}"):
        return await _run_enroll(options, echo)


async def _run_enroll(options: EnrollOptions, echo: Echo) -> dict[str, Any]:
    labfile = LabFile.read(options.lab)
    combo = _combo(options.issuer, options.platform)
    svc = labfile.service(options.issuer)
    transport = (
        CrashingTransport(labfile.anchors(), after=options.crash_after)
        if options.crash_after
        else Transport(labfile.anchors())
    )
    started = time.monotonic()
    try:
        clock = await lab_clock(transport, labfile)
        rand = Randomness(options.seed)
        # The lab-side calls (tenant, staff, cards) are resent like the devices' when that is
        # safe (a 503 or 429 before anything was done, a connection never made).
        lab_side = RetryingTransport(
            transport, RetryPolicy(), clock, rand.child("lab-side"), asyncio.sleep, _no_note
        )
        remote = Remote(labfile, lab_side, clock, rand)
        plugin = plugin_class(options.issuer)(plugin_class(options.issuer).settings_from_env({}))
        portal = svc.extra.get("portalUrl")
        plugin.attach(Endpoint(svc.url, portal if isinstance(portal, str) else svc.url))
        await plugin.seat_staff(
            StaffContext(lab_side, remote.url(CARD_AUTHORITY), labfile.admin_token, rand)
        )
        directory = IssuerDirectory([plugin.make_client()])
        await ensure_tenant(remote, plugin, echo)
        limit = asyncio.Semaphore(max(1, options.concurrency))

        async def one(i: int) -> dict[str, Any]:
            async with limit:
                return await _one_device(remote, plugin, directory, combo, i, options, echo)

        first = options.start_index
        devices = await asyncio.gather(*(one(first + i) for i in range(options.count)))
    finally:
        await transport.close()
    report = _report(options, devices, time.monotonic() - started)
    if options.out is not None:
        options.out.mkdir(parents=True, exist_ok=True)
        (options.out / "report.json").write_text(json.dumps(report, indent=1) + "\n")
    return report


def _report(
    options: EnrollOptions, devices: list[dict[str, Any]], seconds: float
) -> dict[str, Any]:
    complete = sum(d["state"] == State.COMPLETE.value for d in devices)
    failures: dict[str, int] = {}
    for d in devices:
        failure = d.get("failure") or d.get("syncFailure")
        if d["state"] != State.COMPLETE.value and failure:
            failures[failure["code"]] = failures.get(failure["code"], 0) + 1
    return {
        "summary": {
            "issuer": options.issuer,
            "platform": options.platform,
            "devices": len(devices),
            "complete": complete,
            "failed": len(devices) - complete,
            "failures": failures,
            "retries": sum(d.get("retries", 0) for d in devices),
            "seconds": round(seconds, 2),
        },
        "devices": devices,
    }
