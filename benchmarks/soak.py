"""Soak: thousands of devices through the whole flow against `dcemu serve`, with faults and one
`kill -9` of the services partway, then a cross-check of what the issuer issued against what the
devices hold.

    .venv/bin/python benchmarks/soak.py --devices 2000 --out soak.json

- `dcemu serve` on a fresh state directory (one issuer), with a fault plan on the issuer, the
  card authority and mock Intune: 20 ms latency plus up to 30 ms jitter, 5% 503 with
  Retry-After, 2% dropped connections.
- `--agents` `dcemu enroll` processes, each with its own range of devices and state directory.
- Once a third of the devices could be done, the services are killed with SIGKILL and started
  again on the same state directory (same ports); the fault plan is set again.
- The agents finish (transient failures are retried; what stays unfinished is resumed by running
  the same `dcemu enroll` again, at most twice).
- Cross-check: every derived PIV Authentication certificate the issuer lists as issued
  (`GET /admin/issued`) is held by exactly one device, and every device holds exactly one.

Prints one JSON document (also written to `--out`): devices, finished, retries, certificates
issued per device, lost (devices not complete), issued twice (issued certificates no device
holds, or devices with more than one), restarts, seconds.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lab.labfile import LabFile  # noqa: E402

DCEMU = [sys.executable, "-m", "lab.cli"]
FAULTS = {"latencyMs": 20, "jitterMs": 30, "errorRate": 0.05, "dropRate": 0.02}


def start_serve(state: Path, issuer: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [*DCEMU, "serve", "--state-dir", str(state), "--issuer", issuer],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        if "Ctrl-C stops." in line:
            return proc
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise RuntimeError("dcemu serve did not start")


def issued_list(lab: LabFile, issuer: str) -> list[dict[str, Any]]:
    """The issuer's own list of what it issued (faults apply only outside /admin)."""
    items: list[dict[str, Any]] = lab.admin("GET", issuer, "/admin/issued")["issued"]
    return items


def set_faults(lab: LabFile, issuer: str, plan: dict[str, Any]) -> None:
    for service in (issuer, "card-authority", "intune"):
        lab.admin("PUT", service, "/admin/faults", plan)


def enroll(
    labfile: Path, issuer: str, platform: str, first: int, count: int, state: Path
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *DCEMU, "enroll", "--lab", str(labfile), "--issuer", issuer, "--platform", platform,
            "--count", str(count), "--start-index", str(first), "--state-dir", str(state),
            "--out", str(state / "out"), "--key-history", "0", "--concurrency", "16",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--devices", type=int, default=2000)
    p.add_argument("--agents", type=int, default=4, help="dcemu enroll processes")
    p.add_argument("--issuer", default="entrust")
    p.add_argument("--platform", default="ios")
    p.add_argument("--out", type=Path)
    args = p.parse_args()

    work = Path(tempfile.mkdtemp(prefix="dcemu-soak-"))
    state = work / "serve"
    started = time.monotonic()
    serve = start_serve(state, args.issuer)
    labfile = state / "lab.json"
    lab = LabFile.read(labfile)
    set_faults(lab, args.issuer, FAULTS)
    share = -(-args.devices // args.agents)
    ranges = [
        (1 + i * share, min(share, args.devices - i * share))
        for i in range(args.agents)
        if args.devices - i * share > 0
    ]
    # The first agent makes the tenant ready for the issuer; the others start once it has.
    agents = [enroll(labfile, args.issuer, args.platform, *ranges[0], work / "agent-0")]
    while agents[0].poll() is None and not issued_list(lab, args.issuer):
        time.sleep(0.5)
    agents += [
        enroll(labfile, args.issuer, args.platform, first, count, work / f"agent-{i}")
        for i, (first, count) in enumerate(ranges)
        if i > 0
    ]
    # Kill the services once a third of the devices hold their credential (as the issuer's
    # list says), then start them again on the same state directory.
    done = 0
    while any(a.poll() is None for a in agents):
        done = sum(i["kind"] == "pivAuthentication" for i in issued_list(lab, args.issuer))
        if done >= args.devices / 3:
            break
        time.sleep(1.0)
    serve.send_signal(signal.SIGKILL)
    serve.wait()
    killed_at = round(time.monotonic() - started, 1)
    serve = start_serve(state, args.issuer)
    set_faults(lab, args.issuer, FAULTS)
    for agent in agents:
        agent.wait()
    rounds = 0
    for _ in range(2):  # resume what did not finish
        reports = [json.loads((work / f"agent-{i}" / "out" / "report.json").read_text())
                   for i in range(len(ranges)) if (work / f"agent-{i}" / "out" / "report.json").exists()]  # fmt: skip
        if len(reports) == len(ranges) and all(
            r["summary"]["complete"] == r["summary"]["devices"] for r in reports
        ):
            break
        rounds += 1
        again = [
            enroll(labfile, args.issuer, args.platform, first, count, work / f"agent-{i}")
            for i, (first, count) in enumerate(ranges)
        ]
        for agent in again:
            agent.wait()
    set_faults(lab, args.issuer, {})
    issued = issued_list(lab, args.issuer)
    serve.send_signal(signal.SIGTERM)
    serve.wait(timeout=60)

    devices = [
        d
        for i in range(len(ranges))
        for d in json.loads((work / f"agent-{i}" / "out" / "report.json").read_text())["devices"]
    ]
    held: dict[str, int] = {}
    per_device = []
    for d in devices:
        auth = [c["serial"] for c in d["certificates"] if c["role"] == "pivAuthentication"]
        per_device.append(len(auth))
        for serial in auth:
            held[serial] = held.get(serial, 0) + 1
    issued_auth = [i["serial"] for i in issued if i["kind"] == "pivAuthentication"]
    result = {
        "devices": args.devices,
        "finished": sum(d["state"] == "complete" for d in devices),
        "retries": sum(d.get("retries", 0) for d in devices),
        "certificatesIssuedPerDevice": round(len(issued_auth) / max(1, len(devices)), 4),
        "lost": sum(d["state"] != "complete" for d in devices) + (args.devices - len(devices)),
        "issuedTwice": sum(1 for s in issued_auth if held.get(s, 0) != 1)
        + sum(1 for n in per_device if n != 1),
        "restarts": 1,
        "killedAtSeconds": killed_at,
        "issuedBeforeKill": done,
        "resumeRounds": rounds,
        "faults": FAULTS,
        "seconds": round(time.monotonic() - started, 1),
        "issuer": args.issuer,
        "platform": args.platform,
    }
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0 if result["lost"] == 0 and result["issuedTwice"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
