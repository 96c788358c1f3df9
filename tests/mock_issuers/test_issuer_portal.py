"""Portal sign-in with the card and the portal's enrollments: every refusal has its problem
kind and changes nothing."""

from __future__ import annotations

import datetime as dt

from servicekit.webapp import SERVER_STATE, FaultPlan
from tests.mock_issuers.conftest import Lab
from tests.mock_issuers.testkit import SoftCard, expect_problem
from trust_store import certprofiles as cp
from trust_store.keys import KeyAlgorithm, generate_key
from trust_store.ocsp import OcspResponder


async def test_sign_in_answers_the_card_user(lab: Lab) -> None:
    card = await lab.issue_card()
    async with lab.workstation(card).post(f"{lab.url('entrust')}/portal/session") as r:
        assert r.status == 201
        doc = await r.json()
    assert doc["user"]["cardUuid"] == card.uuid
    assert doc["user"]["upn"] == card.upn
    assert "CN=Alice Example" in doc["user"]["subject"]
    assert doc["expiresAt"] == "2026-01-05T09:15:00Z"


async def test_sign_in_without_card(lab: Lab) -> None:
    before = lab.service().snapshot()
    async with lab.anonymous().post(f"{lab.url('entrust')}/portal/session") as r:
        await expect_problem(r, 401, "card-required")
    assert lab.service().snapshot() == before


async def test_sign_in_with_revoked_card(lab: Lab) -> None:
    card = await lab.issue_card()
    await lab.revoke_card(card)
    before = lab.service().snapshot()
    async with lab.workstation(card).post(f"{lab.url('entrust')}/portal/session") as r:
        await expect_problem(r, 403, "card-revoked")
    assert lab.service().snapshot() == before


def _card_from(lab: Lab, card: SoftCard, ca_name: str, profile: cp.CertProfile) -> SoftCard:
    """The same user's keys, certified by another CA or under another profile."""
    ca = lab.pki.derived[ca_name].issuing if ca_name != "piv" else lab.pki.piv.issuing
    subject = cp.Subject("Alice Example", card_uuid=card.auth_cert_uuid(), upn=card.upn)
    cert = ca.issue(card.auth_key.public_key(), subject, profile)
    forged = SoftCard(card.name, card.upn, card.auth_key, card.sig_key, dict(card.answer))
    forged.override(cert, ca.chain)
    return forged


async def test_sign_in_with_card_from_foreign_ca(lab: Lab) -> None:
    card = await lab.issue_card()
    forged = _card_from(lab, card, "intercede", cp.PIV_CARD_AUTH)
    before = lab.service().snapshot()
    async with lab.workstation(forged).post(f"{lab.url('entrust')}/portal/session") as r:
        doc = await expect_problem(r, 403, "card-untrusted")
    assert "not a PIV Authentication certificate" in doc["detail"]
    assert lab.service().snapshot() == before


async def test_sign_in_with_wrong_profile(lab: Lab) -> None:
    card = await lab.issue_card()
    not_piv_auth = _card_from(lab, card, "piv", cp.TLS_SERVER)  # no PIV authentication policy
    async with lab.workstation(not_piv_auth).post(f"{lab.url('entrust')}/portal/session") as r:
        await expect_problem(r, 403, "card-untrusted")


async def test_sign_in_when_ocsp_responder_is_down(lab: Lab) -> None:
    card = await lab.issue_card()
    ca_runner = lab.runners.pop(0)
    await ca_runner.cleanup()
    before = lab.service().snapshot()
    async with lab.workstation(card).post(f"{lab.url('entrust')}/portal/session") as r:
        await expect_problem(r, 503, "card-status-unavailable")
    assert lab.service().snapshot() == before


async def test_sign_in_when_ocsp_responder_fails(lab: Lab) -> None:
    card = await lab.issue_card()
    lab.ca_app[SERVER_STATE].faults = FaultPlan(error_rate=1.0, paths=["/ocsp"])
    async with lab.workstation(card).post(f"{lab.url('entrust')}/portal/session") as r:
        await expect_problem(r, 503, "card-status-unavailable")


async def test_sign_in_when_ocsp_answer_is_not_from_the_card_ca(lab: Lab) -> None:
    card = await lab.issue_card()
    impostor_key = generate_key(KeyAlgorithm.EC_P256)
    other = lab.pki.derived["intercede"].issuing
    impostor_cert = other.issue(
        impostor_key.public_key(), cp.Subject("impostor OCSP"), cp.OCSP_RESPONDER
    )
    lab.pki.piv.responder = OcspResponder(lab.pki.piv.issuing, impostor_key, impostor_cert)
    async with lab.workstation(card).post(f"{lab.url('entrust')}/portal/session") as r:
        doc = await expect_problem(r, 503, "card-status-unavailable")
    assert "cannot be trusted" in doc["detail"]


async def test_enrollment_needs_a_session(lab: Lab) -> None:
    url = f"{lab.url('entrust')}/portal/enrollments"
    before = lab.service().snapshot()
    async with lab.anonymous().post(url, json={}) as r:
        await expect_problem(r, 401, "unauthorized")
    async with lab.anonymous().post(url, json={}, headers={"Authorization": "Bearer nope"}) as r:
        await expect_problem(r, 401, "unauthorized")
    assert lab.service().snapshot() == before


async def test_session_expires(lab: Lab) -> None:
    card = await lab.issue_card()
    browser, session = await lab.sign_in(card)
    lab.clock.advance(dt.timedelta(minutes=15))
    async with browser.post(
        f"{lab.url('entrust')}/portal/enrollments",
        json={},
        headers={"Authorization": f"Bearer {session}"},
    ) as r:
        await expect_problem(r, 401, "unauthorized")


async def test_enrollment_body_must_be_json(lab: Lab) -> None:
    card = await lab.issue_card()
    browser, session = await lab.sign_in(card)
    before = lab.service().snapshot()
    async with browser.post(
        f"{lab.url('entrust')}/portal/enrollments",
        data=b"[]",
        headers={"Authorization": f"Bearer {session}", "Content-Type": "application/json"},
    ) as r:
        await expect_problem(r, 400, "malformed")
    async with browser.post(
        f"{lab.url('entrust')}/portal/enrollments",
        data=b"{}",
        headers={"Authorization": f"Bearer {session}", "Content-Type": "text/plain"},
    ) as r:
        await expect_problem(r, 415, "unsupported-media-type")
    assert lab.service().snapshot() == before


async def test_other_users_cannot_see_an_enrollment(lab: Lab) -> None:
    alice = await lab.issue_card()
    enrollment = await lab.enroll(alice)
    bob = await lab.issue_card("bob@agency.example", "Bob Example")
    browser, session = await lab.sign_in(bob)
    auth = {"Authorization": f"Bearer {session}"}
    base = f"{lab.url('entrust')}/portal/enrollments/{enrollment.doc['id']}"
    before = lab.service().snapshot()
    async with browser.get(base, headers=auth) as r:
        await expect_problem(r, 404, "not-found")
    async with browser.get(f"{base}/qr.png", headers=auth) as r:
        await expect_problem(r, 404, "not-found")
    assert lab.service().snapshot() == before
    async with enrollment.browser.get(base, headers=enrollment.portal_auth) as r:
        assert (await r.json())["status"] == "pending"


async def test_pending_enrollment_expires(lab: Lab) -> None:
    card = await lab.issue_card()
    enrollment = await lab.enroll(card)
    assert enrollment.doc["expiresAt"] == "2026-01-05T09:10:00Z"
    lab.clock.advance(dt.timedelta(minutes=10))
    async with enrollment.browser.get(
        f"{lab.url('entrust')}/portal/enrollments/{enrollment.doc['id']}",
        headers=enrollment.portal_auth,
    ) as r:
        assert (await r.json())["status"] == "expired"
