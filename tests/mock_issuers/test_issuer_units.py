"""Unit tests: the enrollment state machine, the issuer registry, settings, QR codes, the
cardholder reader, and that each server's OpenAPI document describes exactly its routes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import ClassVar

import pytest
from aiohttp import web

from mock_issuers import card_authority, issuer_app
from mock_issuers.issuer.base import ISSUERS, Issuer, register
from mock_issuers.issuer.enrollment_state import TRANSITIONS, Enrollment, Event, State, Status
from mock_issuers.issuer.holder import CardHolder, NotACardCertificate
from mock_issuers.issuer.qr import qr_png
from mock_issuers.settings import (
    CardAuthoritySettings,
    IssuerSettings,
    PublicUrl,
    PublicUrlNotSet,
)
from servicekit.env import SettingsError
from servicekit.webapp import SERVER_STATE
from tests.mock_issuers.testkit import scan_qr
from trust_store import certprofiles as cp
from trust_store.clock import ManualClock
from trust_store.keys import KeyAlgorithm, generate_key
from trust_store.labpki import LabPKI
from trust_store.randomness import Randomness

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def _holder(pki: LabPKI) -> CardHolder:
    key = generate_key(KeyAlgorithm.EC_P256)
    subject = cp.Subject("Alice", card_uuid=uuid.UUID(int=7), upn="alice@x.example")
    return CardHolder.from_card(pki.piv.issuing.issue(key.public_key(), subject, cp.PIV_CARD_AUTH))


def _enrollment(pki: LabPKI) -> Enrollment:
    return Enrollment(
        "id", "tok", "12345678", _holder(pki), NOW, NOW + dt.timedelta(minutes=10), ("a", "b")
    )


def test_state_machine_walks_the_table(pki: LabPKI) -> None:
    e = _enrollment(pki)
    assert e.status(NOW) is Status.PENDING
    assert e.status(NOW + dt.timedelta(minutes=10)) is Status.EXPIRED
    with pytest.raises(RuntimeError):
        e.record_issued("a", pki.piv.issuing.cert)  # not activated yet
    assert e.fire(Event.ACTIVATE) is State.ACTIVATED
    e.record_issued("a", pki.piv.issuing.cert)
    assert e.state is State.ACTIVATED
    e.record_issued("b", pki.piv.issuing.cert)
    assert e.state is State.ISSUED
    assert e.status(NOW + dt.timedelta(days=1)) is Status.ISSUED  # not "expired" once used
    for event in Event:
        if (State.ISSUED, event) not in TRANSITIONS:
            with pytest.raises(RuntimeError):
                e.fire(event)


def test_cancelled_is_final(pki: LabPKI) -> None:
    e = _enrollment(pki)
    e.fire(Event.CANCEL)
    assert e.status(NOW) is Status.CANCELLED
    assert not [ev for (state, ev) in TRANSITIONS if state is State.CANCELLED]


def test_holder_reads_uuid_and_upn(pki: LabPKI) -> None:
    holder = _holder(pki)
    assert holder.card_uuid == uuid.UUID(int=7)
    assert holder.upn == "alice@x.example"
    assert holder.same_user("ALICE@x.example")
    key = generate_key(KeyAlgorithm.EC_P256)
    no_uuid = pki.piv.issuing.issue(key.public_key(), cp.Subject("x", upn="x@y"), cp.PIV_CARD_AUTH)
    with pytest.raises(NotACardCertificate):
        CardHolder.from_card(no_uuid)


def test_registry_holds_issuers_as_data() -> None:
    entrust, intercede = ISSUERS["entrust"](), ISSUERS["intercede"]()
    assert entrust.password_required and entrust.password_length == 8
    assert not intercede.password_required
    assert entrust.qr_payload("T") == "dcemu:entrust:1:T"
    assert intercede.token_lifetime == dt.timedelta(minutes=10)
    assert entrust.requests() == ["pivAuthentication", "digitalSignature", "keyManagement"]


def test_registry_refuses_inconsistent_issuers() -> None:
    with pytest.raises(TypeError):

        @register
        class Short(Issuer):
            name = "short"
            display_name = "Short"
            password_required = True
            password_length = 4

    with pytest.raises(TypeError):

        @register
        class Long(Issuer):
            name = "long"
            display_name = "Long"
            credential_lifetime: ClassVar[dt.timedelta] = dt.timedelta(days=4 * 365)

    assert "short" not in ISSUERS and "long" not in ISSUERS


def test_public_url_holder() -> None:
    url = PublicUrl()
    with pytest.raises(PublicUrlNotSet):
        url.get()
    with pytest.raises(ValueError):
        url.set("http://127.0.0.1:1")
    url.set("https://127.0.0.1:8443/")
    assert url.join("/ocsp") == "https://127.0.0.1:8443/ocsp"
    settings = IssuerSettings(public_url=url)
    assert settings.public_url.get() == "https://127.0.0.1:8443"


def test_settings_from_env() -> None:
    env = {
        "DCEMU_CARD_AUTHORITY_PUBLIC_URL": "https://127.0.0.1:9000",
        "DCEMU_CARD_AUTHORITY_ESCROW_CLIENTS": "entrust, purebred",
        "DCEMU_ENTRUST_TOKEN_LIFETIME_S": "120",
        "DCEMU_ENTRUST_BODY_LIMIT": "1024",
    }
    ca = CardAuthoritySettings.from_env(env)
    assert ca.escrow_clients == frozenset({"entrust", "purebred"})
    issuer = IssuerSettings.from_env("DCEMU_ENTRUST", env)
    assert issuer.token_lifetime == dt.timedelta(minutes=2)
    assert issuer.body_limit == 1024
    assert issuer.card_authority_url.get() == "https://127.0.0.1:9000"
    assert not issuer.public_url.is_set
    assert CardAuthoritySettings.from_env({}).escrow_clients == frozenset()


@pytest.mark.parametrize(
    ("variable", "bad", "expected"),
    [
        ("DCEMU_INTERCEDE_REKEY_BEFORE_EXPIRY_DAYS", "abc", "a positive number of days"),
        ("DCEMU_INTERCEDE_REKEY_BEFORE_EXPIRY_DAYS", "-3", "a positive number of days"),
        ("DCEMU_INTERCEDE_TOKEN_LIFETIME_S", "nan", "a positive number of seconds"),
        ("DCEMU_INTERCEDE_CREDENTIAL_LIFETIME_S", "1e308", "a positive number of seconds"),
        ("DCEMU_INTERCEDE_SESSION_LIFETIME_S", "0", "a positive number of seconds"),
        ("DCEMU_INTERCEDE_BODY_LIMIT", "64k", "an integer from 1024 to"),
        ("DCEMU_INTERCEDE_PUBLIC_URL", "http://127.0.0.1:1", "an absolute https URL"),
        ("DCEMU_CARD_AUTHORITY_PUBLIC_URL", "127.0.0.1:9000", "an absolute https URL"),
    ],
)
def test_issuer_settings_refuse_a_bad_value_by_name(variable: str, bad: str, expected: str) -> None:
    with pytest.raises(SettingsError) as e:
        IssuerSettings.from_env("DCEMU_INTERCEDE", {variable: bad})
    assert str(e.value).startswith(f"{variable}={bad!r}: expected {expected}")


@pytest.mark.parametrize(
    ("variable", "bad"),
    [
        ("DCEMU_CARD_AUTHORITY_BODY_LIMIT", "-1"),
        ("DCEMU_CARD_AUTHORITY_BODY_LIMIT", "1e308"),
        ("DCEMU_CARD_AUTHORITY_PUBLIC_URL", "ftp://127.0.0.1"),
    ],
)
def test_card_authority_settings_refuse_a_bad_value_by_name(variable: str, bad: str) -> None:
    with pytest.raises(SettingsError, match=f"^{variable}="):
        CardAuthoritySettings.from_env({variable: bad})


@pytest.mark.parametrize(
    "field", ["token_lifetime", "credential_lifetime", "session_lifetime", "upstream_timeout"]
)
def test_issuer_settings_refuse_a_duration_that_is_not_positive(field: str) -> None:
    with pytest.raises(SettingsError, match=f"^{field}=.*expected a positive duration"):
        IssuerSettings(**{field: dt.timedelta(0)})


def test_qr_round_trip() -> None:
    payload = "dcemu:entrust:1:" + "Ab-_" * 5 + "xy"
    assert scan_qr(qr_png(payload)) == payload


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
    return {(m, p) for p, ops in doc["paths"].items() for m in ops}


@pytest.mark.parametrize("name", ["card-authority", "entrust", "intercede"])
def test_openapi_documents_every_route(
    name: str, pki: LabPKI, clock: ManualClock, rand: Randomness
) -> None:
    if name == "card-authority":
        app = card_authority.create_app(CardAuthoritySettings(), pki, clock, rand)
    else:
        app = issuer_app.create_app(name, IssuerSettings(), pki, clock, rand)
    assert _routes(app) == _documented(app)
