"""DISA Purebred refusals: each answers a typed problem and changes nothing; concurrent uses of
one code succeed exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest

from tests.mock_issuers.test_purebred_kit import AGENT_UPN, Answer, PurebredLab, leaf_of
from tests.mock_issuers.testkit import SoftCard
from trust_store.clock import ManualClock
from trust_store.keys import KeyAlgorithm, generate_key
from trust_store.labpki import LabPKI
from trust_store.randomness import Randomness

THREE_MINUTES = dt.timedelta(minutes=3)


@pytest.fixture
async def pb(pki: LabPKI, clock: ManualClock, rand: Randomness) -> AsyncIterator[PurebredLab]:
    async with PurebredLab.start(pki, clock, rand) as lab:
        yield lab


@pytest.fixture
async def people(pb: PurebredLab) -> tuple[SoftCard, SoftCard, SoftCard]:
    """The agent, Alice and Bob."""
    return (
        await pb.issue_card(AGENT_UPN, "Agent Smith", history=0),
        await pb.issue_card("alice@corp.example", "Alice Example", history=1),
        await pb.issue_card("bob@corp.example", "Bob Example", history=0),
    )


def refused(answer: Answer, status: int, kind: str) -> None:
    assert answer.status == status, answer.body
    assert answer.content_type == "application/problem+json"
    assert answer.kind == kind, answer.body


# --- the console -------------------------------------------------------------------------------
async def test_unregistered_agent_is_refused_until_registered(
    pb: PurebredLab, people: tuple[SoftCard, SoftCard, SoftCard]
) -> None:
    _, alice, bob = people
    before = pb.service.snapshot()
    answer = await pb.call("POST", pb.console("/console/session"), session=pb.with_card(bob))
    refused(answer, 403, "agent-not-registered")
    assert pb.service.snapshot() == before
    # An administrator registers Bob by his card UUID; then removes him again.
    await pb.ok("POST", pb.console("/admin/agents"), 201, json={"cardUuid": bob.uuid})
    assert bob.uuid in (await pb.ok("GET", pb.console("/admin/agents")))["agents"]
    token = await pb.agent_sign_in(bob)
    await pb.identify(token, alice)
    assert (await pb.call("DELETE", pb.console(f"/admin/agents/{bob.uuid}"))).status == 204
    refused(
        await pb.call("GET", pb.console(f"/console/applicants/{alice.uuid}"), token=token),
        403,
        "agent-not-registered",
    )
    refused(
        await pb.call("POST", pb.console("/admin/agents"), json={"upn": "not a upn"}),
        400,
        "malformed",
    )


async def test_console_needs_the_agents_card(pb: PurebredLab) -> None:
    refused(await pb.call("POST", pb.console("/console/session")), 401, "card-required")
    refused(
        await pb.call("POST", pb.console("/console/applicants"), token="nope", json={}),
        401,
        "unauthorized",
    )


async def test_revoked_agent_card_cannot_sign_in(
    pb: PurebredLab, people: tuple[SoftCard, SoftCard, SoftCard]
) -> None:
    agent, _, _ = people
    await pb.ok("POST", f"{pb.ca_url}/admin/cards/{agent.uuid}/revoke", json={})
    answer = await pb.call("POST", pb.console("/console/session"), session=pb.with_card(agent))
    refused(answer, 403, "card-revoked")


async def test_agent_may_not_enroll_themselves(
    pb: PurebredLab, people: tuple[SoftCard, SoftCard, SoftCard]
) -> None:
    agent, _, _ = people
    token = await pb.agent_sign_in(agent)
    pem = agent.answer["certificates"]["pivAuthentication"]
    answer = await pb.call(
        "POST", pb.console("/console/applicants"), token=token, json={"certificate": pem}
    )
    refused(answer, 403, "forbidden")
    bad = await pb.call(
        "POST", pb.console("/console/applicants"), token=token, json={"certificate": "garbage"}
    )
    refused(bad, 400, "malformed")


async def test_codes_follow_the_steps_in_order(
    pb: PurebredLab, people: tuple[SoftCard, SoftCard, SoftCard]
) -> None:
    agent, alice, _ = people
    token = await pb.agent_sign_in(agent)
    applicant = await pb.identify(token, alice, confirm=False)
    otps = pb.console(f"/console/applicants/{applicant}/otps")
    before = pb.service.snapshot()
    refused(
        await pb.call("POST", otps, token=token, json={"step": "pre-enroll"}),
        409,
        "applicant-not-confirmed",
    )
    await pb.ok("POST", pb.console(f"/console/applicants/{applicant}/confirm"), token=token)
    refused(
        await pb.call("POST", otps, token=token, json={"step": "enroll"}), 409, "step-out-of-order"
    )
    # Users' steps are not the agent's to hand out, and vice versa.
    refused(await pb.call("POST", otps, token=token, json={"step": "recover"}), 400, "malformed")
    portal = await pb.ok("POST", pb.console("/portal/session"), 201, session=pb.with_card(alice))
    refused(
        await pb.call(
            "POST", pb.console("/portal/otps"), token=portal["session"], json={"step": "enroll"}
        ),
        400,
        "malformed",
    )
    after = pb.service.snapshot()
    assert after["otps"] == before["otps"] and after["preEnrollments"] == before["preEnrollments"]


# --- one-time passcodes at pre-enroll --------------------------------------------------------------
async def test_pre_enroll_code_refusals_change_nothing(
    pb: PurebredLab, people: tuple[SoftCard, SoftCard, SoftCard]
) -> None:
    agent, alice, bob = people
    token = await pb.agent_sign_in(agent)
    alice_id = await pb.identify(token, alice)
    bob_id = await pb.identify(token, bob)
    otp = await pb.agent_otp(token, alice_id, "pre-enroll")
    bobs = await pb.agent_otp(token, bob_id, "pre-enroll")
    before = pb.service.snapshot()
    refused(await pb.pre_enroll("00000000", alice.upn), 403, "otp-invalid")
    refused(await pb.pre_enroll(bobs, alice.upn), 403, "otp-user-mismatch")
    for body in (b"{}", b"[1]", b"not json", b'{"otp": 5}'):
        answer = await pb.call(
            "POST",
            pb.device("/device/v1/pre-enroll"),
            data=body,
            headers={"Content-Type": "application/json"},
        )
        refused(answer, 400, "malformed")
    refused(
        await pb.call("POST", pb.device("/device/v1/pre-enroll"), data=b"{}"),
        415,
        "unsupported-media-type",
    )
    assert pb.service.snapshot() == before
    # Valid for three minutes: at 2:59 it still works; a replay is refused.
    pb.clock.advance(THREE_MINUTES - dt.timedelta(seconds=1))
    assert (await pb.pre_enroll(otp, alice.upn)).status == 201
    refused(await pb.pre_enroll(otp, alice.upn, nonce="again"), 409, "otp-used")


async def test_expired_code_is_refused(
    pb: PurebredLab, people: tuple[SoftCard, SoftCard, SoftCard]
) -> None:
    agent, alice, _ = people
    token = await pb.agent_sign_in(agent)
    otp = await pb.agent_otp(token, await pb.identify(token, alice), "pre-enroll")
    pb.clock.advance(THREE_MINUTES)
    before = pb.service.snapshot()
    answer = await pb.pre_enroll(otp, alice.upn)
    refused(answer, 410, "otp-expired")
    assert "3 minutes" in answer.json()["detail"]
    assert pb.service.snapshot() == before


async def test_fingerprint_must_match(
    pb: PurebredLab, people: tuple[SoftCard, SoftCard, SoftCard]
) -> None:
    agent, alice, _ = people
    token = await pb.agent_sign_in(agent)
    otp = await pb.agent_otp(token, await pb.identify(token, alice), "pre-enroll")
    pre = (await pb.pre_enroll(otp, alice.upn)).json()
    before = pb.service.snapshot()
    refused(
        await pb.confirm_fingerprint(token, pre["preEnrollment"], "0000-0000-0000-0000"),
        403,
        "fingerprint-mismatch",
    )
    refused(await pb.confirm_fingerprint(token, "nope", pre["fingerprint"]), 404, "not-found")
    assert pb.service.snapshot() == before
    assert (
        await pb.confirm_fingerprint(token, pre["preEnrollment"], pre["fingerprint"])
    ).status == 200
    refused(
        await pb.confirm_fingerprint(token, pre["preEnrollment"], pre["fingerprint"]),
        409,
        "step-out-of-order",
    )


# --- enroll ----------------------------------------------------------------------------------------
async def test_enroll_refusals_change_nothing(
    pb: PurebredLab, people: tuple[SoftCard, SoftCard, SoftCard]
) -> None:
    agent, alice, bob = people
    token, alice_id, confirmed = await pb.supervised_pre_enrollment(agent, alice)
    # A second pre-enrollment that the agent never confirmed.
    unconfirmed = (
        await pb.pre_enroll(await pb.agent_otp(token, alice_id, "pre-enroll"), alice.upn, "n2")
    ).json()
    enroll_otp = await pb.agent_otp(token, alice_id, "enroll")
    pre_otp = await pb.agent_otp(token, alice_id, "pre-enroll")
    bob_id = await pb.identify(token, bob)
    _, _, bob_pre = await pb.supervised_pre_enrollment(agent, bob, "bob-nonce")
    bob_otp = await pb.agent_otp(token, bob_id, "enroll")
    pre_id = confirmed["preEnrollment"]
    before = pb.service.snapshot()
    refused(await pb.enroll(enroll_otp, pre_id, nonce="other device"), 403, "device-mismatch")
    refused(
        await pb.enroll(enroll_otp, unconfirmed["preEnrollment"], "n2"), 409, "step-out-of-order"
    )
    refused(await pb.enroll(pre_otp, pre_id), 403, "otp-step-mismatch")
    refused(await pb.enroll(bob_otp, pre_id), 403, "otp-user-mismatch")
    refused(await pb.enroll("12345678", pre_id), 403, "otp-invalid")
    refused(await pb.enroll(enroll_otp, "no-such-pre"), 404, "not-found")
    assert pb.service.snapshot() == before
    first = await pb.enroll(enroll_otp, pre_id)
    assert first.status == 201
    # The device that enrolled asks again (its answer was lost): the same authorisation.
    again = await pb.enroll(enroll_otp, pre_id)
    assert again.status == 200 and again.json() == first.json()
    # Anyone without the device's nonce is refused, and nothing more was made.
    refused(await pb.enroll(enroll_otp, pre_id, nonce="other device"), 403, "device-mismatch")
    assert len(pb.service.core.enrollments) == 1
    assert (await pb.enroll(bob_otp, bob_pre["preEnrollment"], "bob-nonce")).status == 201


async def test_pre_enrollment_expires(pki: LabPKI, clock: ManualClock, rand: Randomness) -> None:
    two_minutes = dt.timedelta(minutes=2)
    async with PurebredLab.start(pki, clock, rand, pre_enrollment_lifetime=two_minutes) as pb:
        agent = await pb.issue_card(AGENT_UPN, "Agent Smith", history=0)
        alice = await pb.issue_card()
        token, alice_id, pre = await pb.supervised_pre_enrollment(agent, alice)
        otp = await pb.agent_otp(token, alice_id, "enroll")
        pb.clock.advance(two_minutes)
        before = pb.service.snapshot()
        refused(await pb.enroll(otp, pre["preEnrollment"]), 410, "pre-enrollment-expired")
        assert pb.service.snapshot() == before
        answer = await pb.call(
            "POST",
            pb.console(f"/console/applicants/{alice_id}/otps"),
            token=token,
            json={"step": "enroll"},
        )
        refused(answer, 409, "step-out-of-order")


async def test_each_certificate_once_and_csr_checked(
    pb: PurebredLab, people: tuple[SoftCard, SoftCard, SoftCard]
) -> None:
    agent, alice, _ = people
    activation = await pb.supervised_enrollment(agent, alice)
    key = generate_key(KeyAlgorithm.EC_P256)
    issued = leaf_of(await pb.simpleenroll(activation["accessToken"], "pivauth", key))
    # The same key asking again (the answer was lost) gets the same certificate; another key
    # is refused: each certificate is issued once.
    assert leaf_of(await pb.simpleenroll(activation["accessToken"], "pivauth", key)) == issued
    other = generate_key(KeyAlgorithm.EC_P256)
    refused(
        await pb.simpleenroll(activation["accessToken"], "pivauth", other), 409, "already-issued"
    )
    refused(await pb.simpleenroll("not-a-token", "signature", key), 401, "unauthorized")
    answer = await pb.call(
        "POST",
        pb.device("/.well-known/est/signature/simpleenroll"),
        token=activation["accessToken"],
        data="bm90IGEgY3Ny",
        headers={"Content-Type": "application/pkcs10"},
    )
    refused(answer, 400, "csr-invalid")


async def test_revoked_card_gets_no_certificate(
    pb: PurebredLab, people: tuple[SoftCard, SoftCard, SoftCard]
) -> None:
    agent, alice, _ = people
    activation = await pb.supervised_enrollment(agent, alice)
    await pb.ok("POST", f"{pb.ca_url}/admin/cards/{alice.uuid}/revoke", json={})
    key = generate_key(KeyAlgorithm.EC_P256)
    refused(await pb.simpleenroll(activation["accessToken"], "pivauth", key), 403, "card-revoked")


# --- the user's codes --------------------------------------------------------------------------------
async def test_user_code_refusals_change_nothing(
    pb: PurebredLab, people: tuple[SoftCard, SoftCard, SoftCard]
) -> None:
    agent, alice, bob = people
    activation = await pb.supervised_enrollment(agent, alice)
    alice_km = await pb.user_otp(alice, "key-management")
    alice_rec = await pb.user_otp(alice, "recover")
    bob_km = await pb.user_otp(bob, "key-management")
    before = pb.service.snapshot()
    refused(await pb.user_key_step(activation, "key-management", bob_km), 403, "otp-user-mismatch")
    refused(
        await pb.user_key_step(activation, "key-management", alice_rec), 403, "otp-step-mismatch"
    )
    refused(await pb.user_key_step(activation, "recover", "99999999"), 403, "otp-invalid")
    wrong = {**activation, "enrollment": "other"}
    refused(await pb.user_key_step(wrong, "key-management", alice_km), 404, "not-found")
    assert pb.service.snapshot() == before
    pb.clock.advance(THREE_MINUTES)
    refused(await pb.user_key_step(activation, "key-management", alice_km), 410, "otp-expired")
    assert pb.service.snapshot() == before
    fresh = await pb.user_otp(alice, "key-management")
    assert (await pb.user_key_step(activation, "key-management", fresh)).status == 200
    refused(await pb.user_key_step(activation, "key-management", fresh), 409, "otp-used")


async def test_failed_recovery_leaves_the_code_usable(
    pki: LabPKI, clock: ManualClock, rand: Randomness
) -> None:
    # The card authority does not know Purebred as an escrow client: recovery fails upstream.
    async with PurebredLab.start(pki, clock, rand, escrow_clients=frozenset({"entrust"})) as pb:
        agent = await pb.issue_card(AGENT_UPN, "Agent Smith", history=0)
        alice = await pb.issue_card()
        activation = await pb.supervised_enrollment(agent, alice)
        otp = await pb.user_otp(alice, "key-management")
        before = pb.service.snapshot()
        refused(await pb.user_key_step(activation, "key-management", otp), 503, "unavailable")
        assert pb.service.snapshot() == before


# --- concurrency -----------------------------------------------------------------------------------
async def test_concurrent_uses_of_one_code_succeed_once(
    pb: PurebredLab, people: tuple[SoftCard, SoftCard, SoftCard]
) -> None:
    agent, alice, _ = people
    token = await pb.agent_sign_in(agent)
    applicant = await pb.identify(token, alice)
    otp = await pb.agent_otp(token, applicant, "pre-enroll")
    answers = await asyncio.gather(*(pb.pre_enroll(otp, alice.upn, f"n{i}") for i in range(6)))
    assert sorted(a.status for a in answers) == [201] + [409] * 5
    assert len(pb.service.pre_enrollments.of_applicant(alice.auth_cert_uuid())) == 1

    [won] = [a.json() for a in answers if a.status == 201]
    nonce = pb.service.pre_enrollments.get(won["preEnrollment"]).nonce
    await pb.confirm_fingerprint(token, won["preEnrollment"], won["fingerprint"])
    enroll_otp = await pb.agent_otp(token, applicant, "enroll")
    answers = await asyncio.gather(
        *(pb.enroll(enroll_otp, won["preEnrollment"], nonce) for _ in range(4))
    )
    # One enrollment is made; the same device's repeats get the same authorisation.
    assert sorted(a.status for a in answers) == [200, 200, 200, 201]
    assert len({a.body for a in answers}) == 1
    assert len(pb.service.core.enrollments) == 1

    [activation] = [a.json() for a in answers if a.status == 201]
    km = await pb.user_otp(alice, "key-management")
    answers = await asyncio.gather(
        *(pb.user_key_step(activation, "key-management", km) for _ in range(4))
    )
    assert sorted(a.status for a in answers) == [200, 409, 409, 409]
