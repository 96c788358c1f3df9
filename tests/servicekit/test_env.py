"""The environment reader: every variable is read one way, and every bad value is refused with
a `SettingsError` that names the variable, the value and what was expected."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from servicekit.env import (
    FALSE,
    MAX_DAYS,
    MAX_SECONDS,
    TRUE,
    EnvReader,
    SettingsError,
    require_positive,
)

NAME = "DCEMU_TEST_VALUE"
DAY = dt.timedelta(days=1)

#: Each reader with a default: how it reads NAME.
READERS: dict[str, Callable[[EnvReader], Any]] = {
    "integer": lambda r: r.integer(NAME, 7, minimum=1, maximum=1000),
    "seconds": lambda r: r.seconds(NAME, dt.timedelta(seconds=30)),
    "seconds-or-none": lambda r: r.seconds(NAME, None),
    "days": lambda r: r.days(NAME, DAY),
    "days-or-none": lambda r: r.days(NAME, None),
    "flag": lambda r: r.flag(NAME, True),
    "url": lambda r: r.url(NAME),
    "url-with-default": lambda r: r.url(NAME, "https://example.test/help"),
    "text": lambda r: r.text(NAME, "default"),
    "csv": lambda r: r.csv(NAME, ("a", "b")),
}
DEFAULTS: dict[str, Any] = {
    "integer": 7,
    "seconds": dt.timedelta(seconds=30),
    "seconds-or-none": None,
    "days": DAY,
    "days-or-none": None,
    "flag": True,
    "url": None,
    "url-with-default": "https://example.test/help",
    "text": "default",
    "csv": ("a", "b"),
}

#: Values no number reader accepts: not numbers, not positive, not finite, too large.
NOT_POSITIVE_NUMBERS = ["abc", "0", "-1", "-0.5", "nan", "NaN", "inf", "-inf", "Infinity"]
NOT_POSITIVE_NUMBERS += ["1e308", "1e400", "0x10", "1,5", "5 s", "--1"]
BAD: dict[str, list[str]] = {
    "integer": [*NOT_POSITIVE_NUMBERS, "1.5", "1e3", "1001", "9" * 5000, "٣", "²", "+", "1_0"],
    "seconds": [*NOT_POSITIVE_NUMBERS, str(MAX_SECONDS + 1)],
    "seconds-or-none": [*NOT_POSITIVE_NUMBERS, str(MAX_SECONDS * 2)],
    "days": [*NOT_POSITIVE_NUMBERS, str(MAX_DAYS + 1)],
    "days-or-none": [*NOT_POSITIVE_NUMBERS, str(MAX_DAYS + 0.5)],
    "flag": ["maybe", "2", "-1", "truthy", "y", "n", "enabled"],
    "url": ["http://example.test", "ftp://example.test", "https://", "example.test", "https:x"],
    "url-with-default": ["https://exa mple.test", "https://example.test:99999", "https://x:port"],
}


def _read(kind: str, env: dict[str, str]) -> Any:
    return READERS[kind](EnvReader(env))


@pytest.mark.parametrize("kind", READERS)
@pytest.mark.parametrize("env", [{}, {NAME: ""}, {NAME: "   "}, {"DCEMU_OTHER": "x"}])
def test_unset_or_blank_gives_the_default(kind: str, env: dict[str, str]) -> None:
    assert _read(kind, env) == DEFAULTS[kind]


@pytest.mark.parametrize(("kind", "bad"), [(k, v) for k, values in BAD.items() for v in values])
def test_every_bad_value_names_the_variable_the_value_and_what_was_expected(
    kind: str, bad: str
) -> None:
    with pytest.raises(SettingsError) as e:
        _read(kind, {NAME: bad})
    err = e.value
    assert isinstance(err, ValueError)
    assert (err.name, err.value) == (NAME, bad.strip())
    assert str(err) == f"{NAME}={bad.strip()!r}: expected {err.expected}"
    assert err.expected


@pytest.mark.parametrize("number", [1, 2, 59, 999, 1000])
def test_integers_within_bounds_are_read(number: int) -> None:
    assert _read("integer", {NAME: str(number)}) == number
    assert _read("integer", {NAME: f" +{number} "}) == number


@pytest.mark.parametrize("raw", ["0.001", "0.5", "1", "60", "86400", "1e3", str(MAX_SECONDS)])
def test_seconds_are_positive_finite_durations(raw: str) -> None:
    for kind in ("seconds", "seconds-or-none"):
        assert _read(kind, {NAME: raw}) == dt.timedelta(seconds=float(raw))


@pytest.mark.parametrize("raw", ["0.25", "1", "14", "28", "365.25", str(MAX_DAYS)])
def test_days_are_positive_finite_durations(raw: str) -> None:
    for kind in ("days", "days-or-none"):
        assert _read(kind, {NAME: raw}) == dt.timedelta(days=float(raw))


def test_the_message_of_a_bad_number_of_days() -> None:
    with pytest.raises(SettingsError) as e:
        EnvReader({"DCEMU_INTERCEDE_REKEY_BEFORE_EXPIRY_DAYS": "abc"}).days(
            "DCEMU_INTERCEDE_REKEY_BEFORE_EXPIRY_DAYS", None
        )
    assert str(e.value).startswith(
        "DCEMU_INTERCEDE_REKEY_BEFORE_EXPIRY_DAYS='abc': expected a positive number of days"
    )


@pytest.mark.parametrize("word", [*TRUE, *FALSE])
def test_flags_read_every_spelling_in_any_case(word: str) -> None:
    for spelled in (word, word.upper(), word.title(), f" {word} "):
        assert _read("flag", {NAME: spelled}) is (word in TRUE)
        assert EnvReader({NAME: spelled}).flag(NAME, word not in TRUE) is (word in TRUE)


@pytest.mark.parametrize(
    "url", ["https://127.0.0.1:8443", "https://example.test/help?x=1", "https://[::1]:443/"]
)
def test_urls_are_kept_as_given(url: str) -> None:
    assert _read("url", {NAME: url}) == url
    assert EnvReader({NAME: "http://example.test/"}).url(NAME, schemes=("http", "https")) == (
        "http://example.test/"
    )


@pytest.mark.parametrize(
    ("raw", "words"),
    [("x", ("x",)), ("x, y", ("x", "y")), (" x ,, y ,", ("x", "y")), (",", ())],
)
def test_csv_drops_spaces_and_empty_items(raw: str, words: tuple[str, ...]) -> None:
    assert _read("csv", {NAME: raw}) == words


def test_text_is_stripped() -> None:
    assert _read("text", {NAME: "  portal "}) == "portal"


def test_a_custom_parser_failure_becomes_a_settings_error() -> None:
    def parse(raw: str) -> int:
        raise OverflowError(raw)

    with pytest.raises(SettingsError, match=r"^DCEMU_TEST_VALUE='x': expected a thing$") as e:
        EnvReader({NAME: "x"}).value(NAME, 0, parse, "a thing")
    assert isinstance(e.value.__cause__, OverflowError)
    assert EnvReader({}).value(NAME, 3, parse, "a thing") == 3


def test_the_reader_defaults_to_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, "12")
    assert EnvReader().integer(NAME, 1) == 12


@pytest.mark.parametrize("value", [dt.timedelta(0), -DAY, dt.timedelta(microseconds=-1)])
def test_require_positive_names_the_field(value: dt.timedelta) -> None:
    require_positive(a=DAY, b=None)
    with pytest.raises(SettingsError, match=r"^session_lifetime=.*: expected a positive duration$"):
        require_positive(a=DAY, session_lifetime=value)
