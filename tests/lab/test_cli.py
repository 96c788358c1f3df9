"""The `dcemu` command line: filters, --quiet and the known-issue switch."""

from __future__ import annotations

import pytest

from lab.cli import STEP_LINE, main


def test_quiet_demo_of_one_pair_prints_the_summary_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--quiet", "--issuer", "entrust", "--platform", "ios"]) == 0
    out = capsys.readouterr().out
    assert "1/1 devices complete" in out
    assert "QA-iPhone-EN" in out and "ios" in out
    assert not any(STEP_LINE.match(line) for line in out.splitlines())


def test_known_issue_can_be_switched_off_and_typos_are_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["demo", "--quiet", "--issuer", "intercede", "--platform", "windows"]
    assert main([*argv, "--known-issue-off", "windows-vpn-derived-credential"]) == 0
    out = capsys.readouterr().out
    assert "profiles: trusted-root, vpn, wifi" in out
    assert "known issues reproduced" not in out
    assert main([*argv, "--known-issue-off", "windows-vpn"]) == 2
    assert "unknown known issue(s) windows-vpn" in capsys.readouterr().err


def test_unknown_issuer_is_refused_by_the_parser() -> None:
    with pytest.raises(SystemExit) as e:
        main(["demo", "--issuer", "xTec"])
    assert e.value.code == 2
