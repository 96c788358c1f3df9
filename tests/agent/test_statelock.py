"""One agent per device state directory, and no agent writes over state it did not load."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agent.device import INDEX, Device, DeviceSpec
from agent.statelock import DeviceBusyError, DeviceStateChangedError
from trust_store.clock import ManualClock

SPEC = DeviceSpec("iphone-1", "QA-iPhone", "ios", "17.5", "iPhone15,2", "alice@corp.example")


def saved_device(tmp_path: Path, clock: ManualClock) -> Path:
    Device(SPEC, clock, tmp_path).save()
    return tmp_path


def test_a_second_agent_is_refused_and_changes_nothing(
    tmp_path: Path, clock: ManualClock
) -> None:
    state = saved_device(tmp_path, clock)
    first, second = Device.load(state, clock), Device.load(state, clock)
    before = (state / INDEX).read_bytes()
    with (
        first.exclusive(),
        pytest.raises(DeviceBusyError, match="in use by pid"),
        second.exclusive(),
    ):
        pass  # pragma: no cover - never entered
    assert (state / INDEX).read_bytes() == before
    with second.exclusive():  # free again once the first agent is done
        pass


def test_another_process_holding_the_directory_is_named(
    tmp_path: Path, clock: ManualClock
) -> None:
    state = saved_device(tmp_path, clock)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT);"
            "fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, b'pid holder'); print('held', flush=True);"
            "sys.stdin.read()",
            str(state / ".lock"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with (
            pytest.raises(DeviceBusyError, match="pid holder"),
            Device.load(state, clock).exclusive(),
        ):
            pass  # pragma: no cover
    finally:
        assert holder.stdin is not None and holder.stdout is not None
        holder.stdin.close()
        holder.wait(timeout=10)
        holder.stdout.close()


def test_state_saved_by_another_agent_is_not_overwritten(
    tmp_path: Path, clock: ManualClock
) -> None:
    state = saved_device(tmp_path, clock)
    stale, fresh = Device.load(state, clock), Device.load(state, clock)
    with fresh.exclusive():
        fresh.notifications.append({"channel": "email", "message": "newer"})
        fresh.save()
    with pytest.raises(DeviceStateChangedError, match="load it again"), stale.exclusive():
        pass  # pragma: no cover
    doc = json.loads((state / INDEX).read_text())
    assert doc["notifications"] == [{"channel": "email", "message": "newer"}]
    with Device.load(state, clock).exclusive():
        pass
