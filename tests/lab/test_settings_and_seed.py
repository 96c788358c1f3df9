"""Settings read once at the entry point, and seeded runs that repeat themselves."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from agent.device import DeviceSpec
from agent.enrollment import State
from agent.rekey import RekeyOutcome, rekey_if_due
from lab.cli import main
from lab.demo import run_demo, select
from lab.settings import LabSettings, LabSettingsError
from lab.world import Lab
from trust_store.clock import ManualClock

REKEY_VAR = "DCEMU_INTERCEDE_REKEY_BEFORE_EXPIRY_DAYS"


def test_a_bad_value_stops_the_demo_with_a_message_that_names_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(REKEY_VAR, "abc")
    assert main(["demo", "--quiet", "--issuer", "intercede", "--platform", "ios"]) == 2
    captured = capsys.readouterr()
    assert REKEY_VAR in captured.err and "abc" in captured.err
    assert "Summary" not in captured.out  # nothing ran


def test_lab_settings_refuse_bad_values() -> None:
    for bad in ("abc", "-3", "0"):
        with pytest.raises(LabSettingsError, match=REKEY_VAR):
            LabSettings.from_env({REKEY_VAR: bad})


async def test_the_rekey_window_from_the_environment_reaches_the_running_issuer(
    clock: ManualClock,
) -> None:
    settings = LabSettings.from_env({REKEY_VAR: "10"})
    async with Lab.start(issuers=("intercede",), clock=clock, settings=settings) as lab:
        assert lab.issuer("intercede").settings.rekey_before_expiry == dt.timedelta(days=10)
        await lab.configure_tenant("intercede", families=("ios",))
        user = await lab.new_user("Bob Jones", "bob@corp.example")
        spec = DeviceSpec("iphone-1", "QA-iPhone", "ios", "17.5", "iPhone15,2", user.upn)
        device = lab.new_device(spec)
        assert await lab.obtain_credential(device, user, "intercede") is State.COMPLETE
        [auth] = [i for i in device.store.all_identities() if i.role.value == "pivAuthentication"]
        not_after = auth.cert.not_valid_after_utc
        # 20 days before expiry: outside a 10-day window (inside the default 28-day one).
        clock.advance(not_after - dt.timedelta(days=20) - clock.now())
        result = await rekey_if_due(device, lab.transport, lab.directory)
        assert result.outcome is RekeyOutcome.NOT_DUE
        assert result.rekey_at == not_after - dt.timedelta(days=10)


HEX40 = re.compile(r"\b[0-9A-F]{40}\b")


def _normalised(report: dict[str, Any]) -> dict[str, Any]:
    """The report without timestamps and values derived from keys (thumbprints)."""
    text = json.dumps(report, sort_keys=True)
    text = re.sub(r'"(at|notAfter|notBefore)": "[^"]*"', r'"\1": "<time>"', text)
    text = HEX40.sub("<thumbprint>", text)
    doc: dict[str, Any] = json.loads(text)
    doc["summary"].pop("seconds")
    return doc


def _device_secrets(state_dir: Path) -> dict[str, str]:
    """Every per-device secret the agent made (passwords, nonces, tokens): no key material."""
    found = {}
    for path in sorted((state_dir / "devices").glob("*/secrets/secrets.json")):
        found[path.parent.parent.name] = path.read_text()
    return found


async def test_two_seeded_demos_repeat_each_other(tmp_path: Path) -> None:
    combos = select(platforms=["ios", "windows"])
    runs = []
    for n in (1, 2):
        out, state = tmp_path / f"out{n}", tmp_path / f"state{n}"
        result = await run_demo(out=out, seed=7, state_dir=state, echo=lambda _t: None, combos=combos)
        assert result.ok
        runs.append((json.loads((out / "report.json").read_text()), _device_secrets(state)))
    (report1, secrets1), (report2, secrets2) = runs
    assert _normalised(report1) == _normalised(report2)
    # The agent's own random values (device secrets, PKCS#12 transfer passwords, Purebred
    # nonces and share passwords) come from the seeded stream too.
    assert secrets1 and secrets1 == secrets2


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DCEMU_ENTRUST_REKEY_BEFORE_EXPIRY_DAYS", "10", "does not re-key"),
        ("DCEMU_INTERCEDE_REKEY_BEFORE_EXPIRY_DAYS", "400", "credential lifetime"),
        ("DCEMU_INTERCEDE_CREDENTIAL_LIFETIME_S", "200000000", "3 years"),
    ],
)
def test_settings_that_cannot_go_together_stop_the_demo_before_it_starts(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    expected: str,
) -> None:
    monkeypatch.setenv(variable, value)
    issuer = variable.split("_")[1].lower()
    assert main(["demo", "--quiet", "--issuer", issuer, "--platform", "ios"]) == 2
    err = capsys.readouterr().err
    assert variable in err and expected in err


def test_an_address_the_host_does_not_have_stops_the_demo(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DCEMU_PUREBRED_ON_PREMISES_HOST", "192.0.2.7")  # TEST-NET-1
    assert main(["demo", "--quiet", "--issuer", "purebred", "--platform", "ios"]) == 2
    assert "cannot start the lab's services" in capsys.readouterr().err
