"""The relying party's settings from the environment: a bad value is a `SettingsError` naming
the variable (the happy path is in tests/agent/test_app_auth.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from mock_rp import RpSettings
from servicekit.env import SettingsError


@pytest.mark.parametrize(
    ("variable", "bad", "expected"),
    [
        ("DCEMU_RP_OCSP_REQUIRED", "sure", "one of 1, true, yes, on, 0, false, no, off"),
        ("DCEMU_RP_OCSP_TIMEOUT_S", "nan", "a positive number of seconds"),
        ("DCEMU_RP_OCSP_TIMEOUT_S", "0", "a positive number of seconds"),
        ("DCEMU_RP_BODY_LIMIT", "1023", "an integer from 1024 to"),
        ("DCEMU_RP_REQUIRED_POLICIES", "derived-piv-auth", "comma-separated dotted OIDs"),
        ("DCEMU_RP_REQUIRED_POLICIES", ", ,", "comma-separated dotted OIDs"),
    ],
)
def test_settings_refuse_a_bad_value_by_name(variable: str, bad: str, expected: str) -> None:
    with pytest.raises(SettingsError) as e:
        RpSettings.from_env({variable: bad})
    assert str(e.value).startswith(f"{variable}={bad.strip()!r}: expected {expected}")


def test_settings_read_every_variable() -> None:
    s = RpSettings.from_env(
        {
            "DCEMU_RP_NAME": " portal ",
            "DCEMU_RP_BODY_LIMIT": "2048",
            "DCEMU_RP_TRUSTED_ISSUERS": "entrust, intercede",
            "DCEMU_RP_REQUIRED_POLICIES": "2.16.840.1.101.3.2.1.3.41, 2.16.840.1.101.3.2.1.3.40",
            "DCEMU_RP_OCSP_REQUIRED": "Off",
            "DCEMU_RP_OCSP_TIMEOUT_S": "2.5",
        }
    )
    assert (s.name, s.body_limit, s.trusted_issuers) == ("portal", 2048, ("entrust", "intercede"))
    assert [p.dotted_string for p in s.required_policies][-1] == "2.16.840.1.101.3.2.1.3.40"
    assert (s.ocsp_required, s.ocsp_timeout) == (False, dt.timedelta(seconds=2.5))
    assert RpSettings.from_env({}) == RpSettings()
    with pytest.raises(SettingsError, match=r"^ocsp_timeout="):
        RpSettings(ocsp_timeout=dt.timedelta(seconds=-1))
