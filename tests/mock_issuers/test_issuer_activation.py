"""Device activation: single use, short-lived, bound to the user, password attempts counted,
and exactly one winner when two devices race for one token."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from tests.mock_issuers.conftest import Enrollment, Lab
from tests.mock_issuers.testkit import SoftCard, device_body, expect_problem


def _activate(lab: Lab, enrollment: Enrollment, **fields: str | None) -> Any:
    body = device_body(
        str(fields.get("token", enrollment.token)),
        str(fields["upn"]),
        fields.get("password", enrollment.password),
    )
    return lab.anonymous().post(f"{lab.url(enrollment.issuer)}/device/v1/activations", json=body)


async def _setup(lab: Lab) -> tuple[SoftCard, Enrollment]:
    card = await lab.issue_card()
    return card, await lab.enroll(card)


async def _status(lab: Lab, enrollment: Enrollment) -> str:
    async with enrollment.browser.get(
        f"{lab.url(enrollment.issuer)}/portal/enrollments/{enrollment.doc['id']}",
        headers=enrollment.portal_auth,
    ) as r:
        return str((await r.json())["status"])


async def test_replayed_token(lab: Lab) -> None:
    card, enrollment = await _setup(lab)
    await lab.activate(enrollment, card.upn)
    assert await _status(lab, enrollment) == "activated"
    before = lab.service().snapshot()
    async with _activate(lab, enrollment, upn=card.upn) as r:
        await expect_problem(r, 409, "token-used")
    assert lab.service().snapshot() == before


async def test_expired_token(lab: Lab) -> None:
    card, enrollment = await _setup(lab)
    lab.clock.advance(dt.timedelta(minutes=10))
    before = lab.service().snapshot()
    async with _activate(lab, enrollment, upn=card.upn) as r:
        await expect_problem(r, 410, "token-expired")
    assert lab.service().snapshot() == before


async def test_token_just_before_expiry_still_works(lab: Lab) -> None:
    card, enrollment = await _setup(lab)
    lab.clock.advance(dt.timedelta(minutes=9, seconds=59))
    await lab.activate(enrollment, card.upn)


async def test_unknown_token(lab: Lab) -> None:
    card, enrollment = await _setup(lab)
    before = lab.service().snapshot()
    async with _activate(lab, enrollment, upn=card.upn, token="A" * 22) as r:
        await expect_problem(r, 404, "token-invalid")
    assert lab.service().snapshot() == before


async def test_wrong_password_then_right_password(lab: Lab) -> None:
    card, enrollment = await _setup(lab)
    async with _activate(lab, enrollment, upn=card.upn, password="00000000") as r:
        doc = await expect_problem(r, 403, "password-mismatch")
    assert doc["attemptsRemaining"] == 4
    assert await _status(lab, enrollment) == "pending"
    device = await lab.activate(enrollment, card.upn)
    assert device.activation["enrollment"] == enrollment.doc["id"]


async def test_attempts_exhausted_cancels_the_enrollment(lab: Lab) -> None:
    card, enrollment = await _setup(lab)
    wrong = "1" * 8 if enrollment.password != "1" * 8 else "2" * 8
    for remaining in (4, 3, 2, 1):
        async with _activate(lab, enrollment, upn=card.upn, password=wrong) as r:
            assert (await expect_problem(r, 403, "password-mismatch"))[
                "attemptsRemaining"
            ] == remaining
    async with _activate(lab, enrollment, upn=card.upn, password=wrong) as r:
        await expect_problem(r, 403, "attempts-exhausted")
    assert await _status(lab, enrollment) == "cancelled"
    before = lab.service().snapshot()
    async with _activate(lab, enrollment, upn=card.upn) as r:
        await expect_problem(r, 403, "attempts-exhausted")
    assert lab.service().snapshot() == before


async def test_missing_password_is_malformed(lab: Lab) -> None:
    card, enrollment = await _setup(lab)
    before = lab.service().snapshot()
    body = device_body(enrollment.token, card.upn)
    async with lab.anonymous().post(f"{lab.url('entrust')}/device/v1/activations", json=body) as r:
        await expect_problem(r, 400, "malformed")
    del body["device"]
    body["password"] = enrollment.password
    async with lab.anonymous().post(f"{lab.url('entrust')}/device/v1/activations", json=body) as r:
        await expect_problem(r, 400, "malformed")
    assert lab.service().snapshot() == before


async def test_upn_mismatch(lab: Lab) -> None:
    card, enrollment = await _setup(lab)
    before = lab.service().snapshot()
    async with _activate(lab, enrollment, upn="mallory@agency.example") as r:
        await expect_problem(r, 403, "user-mismatch")
    assert lab.service().snapshot() == before
    await lab.activate(enrollment, card.upn.upper())  # UPNs compare case-insensitively


async def test_concurrent_activations_one_winner(lab: Lab) -> None:
    card, enrollment = await _setup(lab)
    url = f"{lab.url('entrust')}/device/v1/activations"
    body = device_body(enrollment.token, card.upn, enrollment.password)
    phones = [lab.anonymous(), lab.anonymous()]

    async def attempt(i: int) -> tuple[int, dict[str, object]]:
        async with phones[i].post(url, json=body) as r:
            return r.status, await r.json(content_type=None)

    results = await asyncio.gather(attempt(0), attempt(1))
    assert sorted(status for status, _ in results) == [201, 409]
    loser = next(doc for status, doc in results if status == 409)
    assert loser["type"] == "urn:dcemu:problem:token-used"
