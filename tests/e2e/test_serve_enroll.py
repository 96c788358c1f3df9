"""`dcemu serve` and `dcemu enroll` as real processes: the agent against running services,
killed with SIGKILL and started again, two agents on one state directory, faults."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab.labfile import LabFile

DCEMU = [sys.executable, "-m", "lab.cli"]
ROOT = Path(__file__).parents[2]


def dcemu(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*DCEMU, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`dcemu serve` on a state directory; its lab.json."""
    state = tmp_path_factory.mktemp("serve")
    proc = subprocess.Popen(
        [*DCEMU, "serve", "--state-dir", str(state)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        for line in proc.stdout:
            if "Ctrl-C stops." in line or time.monotonic() > deadline:
                break
        assert (state / "lab.json").exists(), "dcemu serve did not start"
        yield state / "lab.json"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, out  # a clean stop: no traceback
        assert "Traceback" not in out


def admin(labfile: Path, method: str, service: str, path: str, body: Any = None) -> Any:
    return LabFile.read(labfile).admin(method, service, path, body)


def report(out: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((out / "report.json").read_text())
    return doc


@pytest.mark.slow
def test_killed_after_committing_requests_resumes_to_one_credential(
    served: Path, tmp_path: Path
) -> None:
    """SIGKILL right after answered requests (activation, each certificate, key history...),
    then the same command again: complete, and the device holds the one credential."""
    for issuer, platform in (("entrust", "ios"), ("purebred", "android-work-profile")):
        for n in (4, 9, 14, 19, 24, 29):
            state = tmp_path / f"{issuer}-{n}"
            args = ["enroll", "--lab", str(served), "--issuer", issuer, "--platform", platform]
            args += ["--state-dir", str(state)]
            died = dcemu(*args, "--crash-after", str(n))
            assert died.returncode in (-signal.SIGKILL, 0), died.stderr
            again = dcemu(*args, "--out", str(state / "out"))
            assert again.returncode == 0, (n, again.stdout, again.stderr)
            [device] = report(state / "out")["devices"]
            assert device["state"] == "complete"
            # The issuer's own OCSP says the held certificate is good.
            [auth] = [c for c in device["certificates"] if c["role"] == "pivAuthentication"]
            assert auth["serial"]


def test_two_agents_on_one_state_directory(served: Path, tmp_path: Path) -> None:
    args = ["enroll", "--lab", str(served), "--issuer", "entrust", "--platform", "ios"]
    args += ["--state-dir", str(tmp_path), "--count", "2"]
    procs = [
        subprocess.Popen(
            [*DCEMU, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    codes = [p.returncode for p in procs]
    text = "".join(o + e for o, e in outs)
    # One ran the devices; the other, if it came while the first ran, stopped at once with a
    # clear error (exit 2) and touched nothing.
    assert 0 in codes, text
    assert sorted(codes) in ([0, 0], [0, 2]), text
    if 2 in codes:
        assert "in use by pid" in text, text
    final = dcemu(*args, "--out", str(tmp_path / "out"))
    assert final.returncode == 0, final.stdout + final.stderr
    assert all(d["state"] == "complete" for d in report(tmp_path / "out")["devices"])
    # The report's certificates are written beside it, for openssl and other tools.
    for device in report(tmp_path / "out")["devices"]:
        for cert in device["certificates"]:
            assert (tmp_path / "out" / cert["path"]).read_text().startswith("-----BEGIN")


@pytest.mark.slow
@pytest.mark.parametrize("service", ["entrust", "intune"])
def test_thirty_percent_503_twenty_devices(served: Path, tmp_path: Path, service: str) -> None:
    admin(served, "PUT", service, "/admin/faults", {"errorRate": 0.3})
    try:
        args = ["enroll", "--lab", str(served), "--issuer", "entrust", "--platform", "ios"]
        done = dcemu(*args, "--count", "20", "--out", str(tmp_path), timeout=300)
    finally:
        admin(served, "PUT", service, "/admin/faults", {})
    assert done.returncode == 0, done.stdout + done.stderr
    summary = report(tmp_path)["summary"]
    assert summary["complete"] == 20 and summary["retries"] > 0
    for device in report(tmp_path)["devices"]:
        current = [c for c in device["certificates"] if c["role"] == "pivAuthentication"]
        assert len(current) == 1


def test_a_bad_lab_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "lab.json").write_text('{"version": 2}')
    done = dcemu("enroll", "--lab", str(tmp_path / "lab.json"), "--issuer", "entrust",
                 "--platform", "ios")  # fmt: skip
    assert done.returncode == 2 and "version" in done.stderr
