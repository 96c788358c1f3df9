"""Unit tests of automatic re-key on the issuer side: the window, the reasons and their
revocation reasons, the subject comparison, the issuer data and settings, the people directory,
and the enrollment's re-key transition."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any, ClassVar

import pytest
from cryptography import x509

from mock_issuers.issuer.base import ISSUERS, Issuer, register
from mock_issuers.issuer.enrollment_state import Enrollment, Event, State, TransitionError
from mock_issuers.issuer.holder import CardHolder
from mock_issuers.issuer.people import PeopleDirectory, PersonUpdate
from mock_issuers.issuer.rekey import (
    RekeyReason,
    expiry_due,
    rekey_at,
    rekey_status,
    subject_changed,
)
from mock_issuers.issuer.service import IssuerService
from mock_issuers.settings import IssuerSettings
from servicekit.problems import BadRequest
from trust_store import certprofiles as cp
from trust_store.clock import ManualClock
from trust_store.keys import KeyAlgorithm, generate_key
from trust_store.labpki import LabPKI
from trust_store.randomness import Randomness

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
WINDOW = 28 * DAY


def test_due_from_exactly_the_window_before_not_after() -> None:
    not_after = NOW + 365 * DAY
    assert rekey_at(not_after, WINDOW) == NOW + 337 * DAY
    assert not expiry_due(NOW + 337 * DAY - dt.timedelta(seconds=1), not_after, WINDOW)
    assert expiry_due(NOW + 337 * DAY, not_after, WINDOW)
    assert expiry_due(not_after + DAY, not_after, WINDOW)  # (the gate refuses expired ones)


def test_reasons_map_to_crl_reasons() -> None:
    assert RekeyReason.EXPIRY.revocation_reason is x509.ReasonFlags.superseded
    assert RekeyReason.SUBJECT_CHANGED.revocation_reason is x509.ReasonFlags.affiliation_changed
    assert {r.value for r in RekeyReason} == {"expiry", "subject-changed"}


def _holder(pki: LabPKI, email: str | None = "alice@x.example") -> CardHolder:
    key = generate_key(KeyAlgorithm.EC_P256)
    subject = cp.Subject("Alice", card_uuid=uuid.UUID(int=7), upn="alice@x.example", email=email)
    return CardHolder.from_card(pki.piv.issuing.issue(key.public_key(), subject, cp.PIV_CARD_AUTH))


def _derived(pki: LabPKI, subject: cp.Subject) -> x509.Certificate:
    key = generate_key(KeyAlgorithm.EC_P256)
    return pki.derived["intercede"].issuing.issue(key.public_key(), subject, cp.DERIVED_PIV_AUTH)


def _issued(pki: LabPKI, holder: CardHolder, kinds: tuple[str, ...] = ("a", "b")) -> Enrollment:
    e = Enrollment("id", "tok", None, holder, NOW, NOW + 10 * dt.timedelta(minutes=1), kinds)
    e.fire(Event.ACTIVATE)
    for kind in kinds:
        e.record_issued(kind, _derived(pki, holder.derived_subject()))
    return e


def test_subject_changed_compares_dn_and_email(pki: LabPKI) -> None:
    holder = _holder(pki)
    subject = holder.derived_subject()
    cert = _derived(pki, subject)
    assert not subject_changed(cert, subject)
    assert subject_changed(cert, dataclasses.replace(subject, common_name="Alice B"))
    assert subject_changed(cert, dataclasses.replace(subject, email="new@x.example"))
    assert subject_changed(cert, dataclasses.replace(subject, email=None))
    no_email = _holder(pki, email=None).derived_subject()
    assert not subject_changed(_derived(pki, no_email), no_email)


def test_status_prefers_subject_change_and_needs_a_fully_issued_credential(pki: LabPKI) -> None:
    holder = _holder(pki)
    e = _issued(pki, holder)
    not_after = min(c.not_valid_after_utc for c in e.issued.values())
    same = holder.derived_subject()
    renamed = dataclasses.replace(same, common_name="Alice B")
    status = rekey_status(e, same, NOW, WINDOW)
    assert (status.due, status.reason, status.due_at) == (False, None, not_after - WINDOW)
    assert rekey_status(e, same, not_after - WINDOW, WINDOW).reason is RekeyReason.EXPIRY
    assert rekey_status(e, renamed, not_after - WINDOW, WINDOW).reason is (
        RekeyReason.SUBJECT_CHANGED
    )
    assert rekey_status(e, renamed, NOW, WINDOW).to_json()["reason"] == "subject-changed"
    partial = Enrollment("p", "t", None, holder, NOW, NOW + DAY, ("a", "b"))
    partial.fire(Event.ACTIVATE)
    partial.record_issued("a", _derived(pki, same))
    assert not rekey_status(partial, renamed, not_after, WINDOW).due
    with pytest.raises(ValueError):
        rekey_status(Enrollment("n", "t", None, holder, NOW, NOW, ("a",)), same, NOW, WINDOW)


def test_enrollment_rekey_replaces_every_kind_at_once(pki: LabPKI) -> None:
    holder = _holder(pki)
    e = _issued(pki, holder)
    old = dict(e.issued)
    before = e.snapshot()
    with pytest.raises(TransitionError):
        e.rekey({"a": _derived(pki, holder.derived_subject())})
    assert e.snapshot() == before
    new = {k: _derived(pki, holder.derived_subject()) for k in ("a", "b")}
    assert sorted(c.serial_number for c in e.rekey(new)) == sorted(
        c.serial_number for c in old.values()
    )
    assert e.state is State.ISSUED and e.generation == 1 and e.issued == new
    assert e.is_current(new["a"]) and not e.is_current(old["a"])
    pending = Enrollment("p", "t", None, holder, NOW, NOW + DAY, ("a", "b"))
    with pytest.raises(TransitionError):
        pending.rekey(new)


def test_issuer_data() -> None:
    assert ISSUERS["intercede"]().rekey_before_expiry == WINDOW
    assert ISSUERS["intercede"]().auto_rekey
    assert not ISSUERS["entrust"]().auto_rekey
    with pytest.raises(TypeError):

        @register
        class Eager(Issuer):
            name = "eager"
            display_name = "Eager"
            rekey_before_expiry: ClassVar[dt.timedelta | None] = 400 * DAY

    assert "eager" not in ISSUERS


def test_settings_read_the_window_from_the_environment() -> None:
    env = {"DCEMU_INTERCEDE_REKEY_BEFORE_EXPIRY_DAYS": "14"}
    assert IssuerSettings.from_env("DCEMU_INTERCEDE", env).rekey_before_expiry == 14 * DAY
    assert IssuerSettings.from_env("DCEMU_INTERCEDE", {}).rekey_before_expiry is None
    with pytest.raises(ValueError):
        IssuerSettings.from_env(
            "DCEMU_INTERCEDE", {"DCEMU_INTERCEDE_REKEY_BEFORE_EXPIRY_DAYS": "0"}
        )
    with pytest.raises(ValueError):
        IssuerSettings(rekey_before_expiry=-DAY)


@pytest.mark.parametrize(
    ("name", "settings", "window"),
    [
        ("intercede", {}, WINDOW),
        ("intercede", {"rekey_before_expiry": 60 * DAY}, 60 * DAY),
        ("entrust", {}, None),
    ],
)
def test_service_window(
    name: str,
    settings: dict[str, Any],
    window: dt.timedelta | None,
    pki: LabPKI,
    clock: ManualClock,
    rand: Randomness,
) -> None:
    service = IssuerService(ISSUERS[name](), IssuerSettings(**settings), pki, clock, rand)
    assert service.rekey_window == window
    assert (service.reissuer is None) is (window is None)


@pytest.mark.parametrize(
    ("name", "settings"),
    [
        ("entrust", {"rekey_before_expiry": WINDOW}),  # Entrust does not re-key
        ("intercede", {"rekey_before_expiry": 365 * DAY}),  # always due
        ("intercede", {"rekey_before_expiry": 40 * DAY, "credential_lifetime": 30 * DAY}),
    ],
)
def test_service_refuses_impossible_windows(
    name: str, settings: dict[str, Any], pki: LabPKI, clock: ManualClock, rand: Randomness
) -> None:
    with pytest.raises(ValueError):
        IssuerService(ISSUERS[name](), IssuerSettings(**settings), pki, clock, rand)


def test_people_directory(pki: LabPKI) -> None:
    holder = _holder(pki)
    people = PeopleDirectory()
    assert people.subject_for(holder) == holder.derived_subject()
    people.update("ALICE@x.example", PersonUpdate.from_json({"name": "Alice B"}), NOW)
    people.update("alice@x.example", PersonUpdate.from_json({"email": "ab@x.example"}), NOW)
    subject = people.subject_for(holder)
    assert (subject.common_name, subject.email) == ("Alice B", "ab@x.example")
    assert (subject.card_uuid, subject.upn) == (holder.card_uuid, holder.upn)
    assert people.snapshot() == [("alice@x.example", "Alice B", "ab@x.example")]
    people.clear()
    assert people.subject_for(holder) == holder.derived_subject()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": None, "email": None},
        {"name": ""},
        {"name": "x" * 65},
        {"name": "Zero\u200bwidth"},
        {"email": "a@b"},
        {"email": "a b@x.example"},
        {"email": ["a@x.example"]},
    ],
)
def test_person_update_refuses(body: dict[str, Any]) -> None:
    with pytest.raises(BadRequest):
        PersonUpdate.from_json(body)


def test_person_update_accepts_and_ignores_unknown_fields() -> None:
    update = PersonUpdate.from_json({"name": "Ana María O'Neil", "title": "ignored"})
    assert (update.name, update.email) == ("Ana María O'Neil", None)
    assert PersonUpdate.from_json({"email": "a.b+c@x.example"}).email == "a.b+c@x.example"
