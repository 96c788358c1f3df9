"""`dcemu serve --config FILE`: DCEMU_* settings from a file, read once; a bad one stops it."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.cli import main
from lab.settings import LabSettings, LabSettingsError, read_config


def test_a_settings_file_is_read_like_the_environment(tmp_path: Path) -> None:
    conf = tmp_path / "lab.conf"
    conf.write_text("# the lab's issuers\n\nDCEMU_INTERCEDE_REKEY_BEFORE_EXPIRY_DAYS = 10\n")
    settings = LabSettings.from_env(read_config(conf))
    assert settings.issuer("intercede").rekey_before_expiry.days == 10


@pytest.mark.parametrize("line", ["REKEY=10", "DCEMU_X", "DCEMU X=1", "PATH=/bin"])
def test_a_bad_line_is_named(tmp_path: Path, line: str) -> None:
    conf = tmp_path / "lab.conf"
    conf.write_text(f"DCEMU_INTUNE_NAME=ok\n{line}\n")
    with pytest.raises(LabSettingsError, match=r"lab.conf:2"):
        read_config(conf)


def test_serve_stops_on_a_bad_setting_in_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = tmp_path / "lab.conf"
    conf.write_text("DCEMU_INTERCEDE_REKEY_BEFORE_EXPIRY_DAYS=abc\n")
    assert main(["serve", "--state-dir", str(tmp_path / "s"), "--config", str(conf)]) == 2
    assert "DCEMU_INTERCEDE_REKEY_BEFORE_EXPIRY_DAYS" in capsys.readouterr().err
