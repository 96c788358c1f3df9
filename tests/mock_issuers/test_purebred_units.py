"""DISA Purebred server units: one-time passcodes, fingerprints, the pre-enrollment state
machine, the agent allow-list, settings, and the OpenAPI documents of both listeners."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from aiohttp import web

from mock_issuers import purebred
from mock_issuers.issuer import ISSUERS
from mock_issuers.issuer.enrollment_state import DeviceInfo, TransitionError
from mock_issuers.purebred.agents import AgentRegistry
from mock_issuers.purebred.otps import OtpState, OtpStep, OtpStore
from mock_issuers.purebred.preenroll import (
    PreEnrollmentStore,
    PreEvent,
    fingerprint,
    normalise_fingerprint,
)
from mock_issuers.purebred.settings import PurebredSettings
from servicekit.env import SettingsError
from servicekit.problems import Problem
from servicekit.webapp import SERVER_STATE
from trust_store.clock import ManualClock
from trust_store.labpki import LabPKI
from trust_store.randomness import Randomness

ALICE = uuid.UUID(int=1)
BOB = uuid.UUID(int=2)
LIFE = dt.timedelta(minutes=3)


def kind(e: pytest.ExceptionInfo[Problem]) -> str:
    return e.value.kind


def test_otp_lifetime_is_three_minutes() -> None:
    assert dt.timedelta(minutes=3) == purebred.OTP_LIFETIME
    assert PurebredSettings().otp_lifetime == purebred.OTP_LIFETIME


def test_otps_are_checked_in_order_and_used_once(clock: ManualClock, rand: Randomness) -> None:
    store = OtpStore(rand, 8)
    otp = store.issue(OtpStep.ENROLL, ALICE, "agent:a", clock.now(), LIFE)
    assert len(otp.code) == 8 and otp.code.isdigit()
    with pytest.raises(Problem) as e:
        store.check("nope", OtpStep.ENROLL, clock.now())
    assert kind(e) == "otp-invalid"
    with pytest.raises(Problem) as e:
        store.check(otp.code, OtpStep.PRE_ENROLL, clock.now())
    assert kind(e) == "otp-step-mismatch"
    with pytest.raises(Problem) as e:
        store.check_owner(otp, BOB)
    assert kind(e) == "otp-user-mismatch"
    store.check_owner(otp, ALICE)
    store.reserve(store.check(otp.code, OtpStep.ENROLL, clock.now()))
    with pytest.raises(Problem) as e:
        store.check(otp.code, OtpStep.ENROLL, clock.now())
    assert kind(e) == "otp-used"
    store.release(otp)
    assert otp.state is OtpState.ISSUED
    clock.advance(LIFE)
    with pytest.raises(Problem) as e:
        store.check(otp.code, OtpStep.ENROLL, clock.now())
    assert kind(e) == "otp-expired"


def test_codes_are_never_handed_out_twice(clock: ManualClock) -> None:
    store = OtpStore(Randomness(5), 1)  # one digit: collisions are certain
    codes = {store.issue(OtpStep.RECOVER, ALICE, "u", clock.now(), LIFE).code for _ in range(10)}
    assert len(codes) == 10


def test_fingerprint_format() -> None:
    fp = fingerprint("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
    assert fp == "9F86-D081-884C-7D65"
    assert normalise_fingerprint("9f86 d081 884c 7d65") == normalise_fingerprint(fp)


def test_pre_enrollment_state_machine(clock: ManualClock, rand: Randomness) -> None:
    store = PreEnrollmentStore(rand)
    device = DeviceInfo("d", "ios", "18.1", "iPhone")
    pre = store.create(ALICE, device, "n", b"{}", clock.now(), dt.timedelta(minutes=30))
    with pytest.raises(TransitionError):
        pre.fire(PreEvent.ENROLL)
    with pytest.raises(Problem) as e:
        pre.check_enrollable("n", clock.now())
    assert kind(e) == "step-out-of-order"
    pre.check_confirmable(pre.fingerprint, clock.now())
    pre.fire(PreEvent.CONFIRM)
    pre.check_enrollable("n", clock.now())
    clock.advance(dt.timedelta(minutes=30))
    assert pre.status(clock.now()) == "expired"
    assert store.of_applicant(ALICE) == [pre] and store.of_applicant(BOB) == []


def test_agent_registry_by_upn_or_card_uuid() -> None:
    registry = AgentRegistry(frozenset({"Agent@Corp.Example", str(BOB).upper()}))
    assert registry.entries() == sorted(["agent@corp.example", str(BOB)])
    registry.add("other@corp.example")
    registry.remove("OTHER@corp.example")
    with pytest.raises(Problem):
        registry.remove("other@corp.example")
    with pytest.raises(Problem):
        registry.add("no spaces @ here")
    registry.reset()
    assert len(registry.entries()) == 2


def test_settings_from_env() -> None:
    env = {
        "DCEMU_CARD_AUTHORITY_PUBLIC_URL": "https://127.0.0.1:9000",
        "DCEMU_PUREBRED_AGENTS": "agent@corp.example, 00000000-0000-0000-0000-000000000002",
        "DCEMU_PUREBRED_OTP_LIFETIME_S": "60",
        "DCEMU_PUREBRED_ON_PREMISES_HOST": "127.0.0.3",
    }
    s = PurebredSettings.from_env(env)
    assert s.registered_agents == frozenset({"agent@corp.example", str(BOB)})
    assert s.otp_lifetime == dt.timedelta(seconds=60)
    assert s.on_premises_host == "127.0.0.3"
    assert s.issuer_settings().card_authority_url.get() == "https://127.0.0.1:9000"
    assert PurebredSettings.from_env({}).on_premises_host == purebred.ON_PREMISES_HOST


@pytest.mark.parametrize(
    ("variable", "bad", "expected"),
    [
        ("DCEMU_PUREBRED_OTP_LIFETIME_S", "three minutes", "a positive number of seconds"),
        ("DCEMU_PUREBRED_OTP_LIFETIME_S", "-180", "a positive number of seconds"),
        ("DCEMU_PUREBRED_CREDENTIAL_LIFETIME_S", "inf", "a positive number of seconds"),
        ("DCEMU_PUREBRED_BODY_LIMIT", "0", "an integer from 1024 to"),
        ("DCEMU_PUREBRED_ON_PREMISES_HOST", "on-prem", "an IP address"),
        ("DCEMU_PUREBRED_DEVICE_URL", "http://127.0.0.2:1", "an absolute https URL"),
    ],
)
def test_settings_refuse_a_bad_value_by_name(variable: str, bad: str, expected: str) -> None:
    with pytest.raises(SettingsError) as e:
        PurebredSettings.from_env({variable: bad})
    assert str(e.value).startswith(f"{variable}={bad!r}: expected {expected}")
    with pytest.raises(SettingsError, match=r"^otp_lifetime="):
        PurebredSettings(otp_lifetime=dt.timedelta(0))


def test_purebred_is_not_a_portal_and_qr_issuer() -> None:
    assert "purebred" not in ISSUERS


def _routes(app: web.Application) -> set[tuple[str, str]]:
    found = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        if path and route.method != "HEAD":
            found.add((route.method.lower(), path))
    return found


def _documented(app: web.Application) -> set[tuple[str, str]]:
    doc = app[SERVER_STATE].openapi
    assert doc["openapi"] == "3.1.0"
    return {(m, p) for p, ops in doc["paths"].items() for m in ops if not p.startswith("/admin/")}


def test_openapi_documents_every_route_of_both_listeners(
    pki: LabPKI, clock: ManualClock, rand: Randomness
) -> None:
    apps = purebred.create_apps(PurebredSettings(), pki, clock, rand)
    for app in (apps.console, apps.device):
        routes = {r for r in _routes(app) if not r[1].startswith("/admin/")}
        assert routes == _documented(app)
    console = {p for _, p in _routes(apps.console)}
    assert "/admin/agents" in console and "/device/v1/enroll" not in console
    assert "/console/session" not in {p for _, p in _routes(apps.device)}
