"""Names, UPNs and addresses: one line of printable text, refused (never stripped) otherwise."""

from __future__ import annotations

import pytest

from servicekit.text import common_name_problem, email_problem, line_problem, upn_problem


@pytest.mark.parametrize(
    "value",
    [
        "",
        "Alice\n",
        "Alice\r\n",
        "\tAlice",
        " Alice",
        "Alice ",
        "Alice\u00a0",  # no-break space at the end
        "Al\x00ice",
        "Al\x7fice",
        "Al\x85ice",  # NEL (C1)
        "Al\u2028ice",  # line separator
        "Al\u202eice",  # right-to-left override
        "Al\ufeffice",
        "Al\ud800ice",
    ],
)
def test_not_one_line_of_printable_text(value: str) -> None:
    assert line_problem(value, max_chars=64) is not None
    assert common_name_problem(value) is not None


@pytest.mark.parametrize("value", ["Alice Example", "Zoë O'Brien-Łukasz", "李小龍", "a"])
def test_one_line(value: str) -> None:
    assert line_problem(value, max_chars=64) is None
    assert common_name_problem(value) is None


def test_a_common_name_is_bounded_in_characters_and_utf8_bytes() -> None:
    assert common_name_problem("x" * 64) is None
    assert common_name_problem("x" * 65) is not None
    assert common_name_problem("é" * 32) is None
    assert common_name_problem("é" * 33) is not None  # 33 characters, 66 bytes


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("alice@agency.example", True),
        ("alice@agency", True),
        ("alice@agency.example\n", False),
        ("alice @agency.example", False),
        ("alice@@agency.example", False),
        ("@agency.example", False),
        ("alice@", False),
        ("al\x07ice@agency.example", False),
        ("a" * 300 + "@x", False),
    ],
)
def test_upn(value: str, ok: bool) -> None:
    assert (upn_problem(value) is None) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("alice@agency.example", True),
        ("alice.o'brien+x@agency.example", True),
        ("alice@agency.example\n", False),
        ("älice@agency.example", False),
        ("alice@agency..example", False),
        ("a" * 65 + "@agency.example", False),
        ("a@" + "b" * 260, False),
        ("alice@agency", False),
    ],
)
def test_email(value: str, ok: bool) -> None:
    assert (email_problem(value) is None) is ok
