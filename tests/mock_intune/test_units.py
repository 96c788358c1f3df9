"""Unit tests of the pure parts: renewal arithmetic, notificationType parsing, server settings,
the profile registry."""

from __future__ import annotations

import datetime as dt

import pytest

from mock_intune.checkin_actions import ActionKind, Reason, credential_action
from mock_intune.derived_credentials import (
    DerivedCredentialSettings,
    Issuer,
    NotificationChannel,
    format_notification_type,
    parse_notification_type,
)
from mock_intune.managed_devices import ReportedCredential
from mock_intune.problems import Problem
from mock_intune.profiles import REGISTRY
from mock_intune.settings import ServerSettings
from servicekit.env import SettingsError

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _settings(threshold: int = 20) -> DerivedCredentialSettings:
    return DerivedCredentialSettings("s1", "x", Issuer.PUREBRED, renewal_threshold=threshold)


def _cred(settings_id: str = "s1", days: int = 100) -> ReportedCredential:
    return ReportedCredential("purebred", "ab" * 20, T0, T0 + dt.timedelta(days=days), settings_id)


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (dt.timedelta(0), None),
        (dt.timedelta(days=80) - dt.timedelta(microseconds=1), None),
        (dt.timedelta(days=80), ActionKind.RENEW),
        (dt.timedelta(days=100) - dt.timedelta(seconds=1), ActionKind.RENEW),
        (dt.timedelta(days=100), ActionKind.ENROLL),
        (dt.timedelta(days=-1), None),  # not yet valid: nothing to do
    ],
)
def test_renewal_boundaries(offset: dt.timedelta, expected: ActionKind | None) -> None:
    action = credential_action(_settings(), set(), _cred(), T0 + offset)
    assert (action.kind if action else None) is expected


def test_enroll_reasons() -> None:
    s = _settings()
    no_cred = credential_action(s, set(), None, T0)
    assert no_cred is not None and no_cred.reason is Reason.NO_CREDENTIAL
    deleted = credential_action(s, {"old"}, _cred("old"), T0)
    assert deleted is not None and deleted.reason is Reason.SETTINGS_DELETED
    other = credential_action(s, set(), _cred("elsewhere"), T0)
    assert other is not None and other.reason is Reason.OTHER_SETTINGS


def test_notification_type_round_trip() -> None:
    both = parse_notification_type("email,companyPortal", "n")
    assert both == {NotificationChannel.EMAIL, NotificationChannel.COMPANY_PORTAL}
    assert format_notification_type(both) == "companyPortal,email"
    assert format_notification_type(parse_notification_type("none", "n")) == "none"
    with pytest.raises(Problem) as e:
        parse_notification_type("none,email", "n")
    assert e.value.extensions["field"] == "n"


def test_server_settings_from_env() -> None:
    s = ServerSettings.from_env(
        {
            "DCEMU_INTUNE_BODY_LIMIT": "2048",
            "DCEMU_INTUNE_STRICT": "yes",
            "DCEMU_INTUNE_CHECKIN_INTERVAL_SECONDS": "60",
        }
    )
    assert (s.body_limit, s.strict, s.checkin_interval) == (2048, True, dt.timedelta(minutes=1))
    assert ServerSettings.from_env({}) == ServerSettings()
    with pytest.raises(SettingsError, match=r"^body_limit=10: expected at least 1024 bytes"):
        ServerSettings(body_limit=10)


@pytest.mark.parametrize(
    ("variable", "bad", "expected"),
    [
        ("DCEMU_INTUNE_BODY_LIMIT", "10", "an integer from 1024 to"),
        ("DCEMU_INTUNE_BODY_LIMIT", "9" * 400, "an integer from 1024 to"),
        ("DCEMU_INTUNE_CHECKIN_INTERVAL_SECONDS", "8h", "a positive number of seconds"),
        ("DCEMU_INTUNE_CHECKIN_INTERVAL_SECONDS", "-60", "a positive number of seconds"),
        ("DCEMU_INTUNE_STRICT", "sometimes", "one of 1, true, yes, on, 0, false, no, off"),
        ("DCEMU_INTUNE_DEFAULT_HELP_URL", "help.example", "an absolute http or https URL"),
    ],
)
def test_server_settings_refuse_a_bad_value_by_name(variable: str, bad: str, expected: str) -> None:
    with pytest.raises(SettingsError) as e:
        ServerSettings.from_env({variable: bad})
    assert str(e.value).startswith(f"{variable}={bad!r}: expected {expected}")


def test_registry_flags() -> None:
    wifi = REGISTRY["#microsoft.graph.iosEnterpriseWiFiConfiguration"]
    root = REGISTRY["#microsoft.graph.iosTrustedRootCertificate"]
    assert wifi.uses_derived_credential({"authenticationMethod": "derivedCredential"})
    assert not wifi.uses_derived_credential({"authenticationMethod": "certificate"})
    assert not root.uses_derived_credential({})
