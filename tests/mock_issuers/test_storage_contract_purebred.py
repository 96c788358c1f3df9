"""The storage contract of DISA Purebred and the card authority's key escrow, over both backends:
a supervised enrollment, a run-time agent, used and unused one-time passcodes and a pre-enrollment
waiting for its fingerprint, then every object dropped and the servers built again from the same
storages -- the codes stay used or usable, the agent registered, the pre-enrollment confirmable,
the escrowed keys the same; and the escrowed keys are never stored in the clear."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from tests.mock_issuers.restart_kit import (
    CARD_AUTHORITY,
    Restartable,
    Storages,
    admin_get,
    ocsp_status,
)
from tests.mock_issuers.test_purebred_kit import AGENT_UPN, PurebredLab, leaf_of
from tests.mock_issuers.testkit import ec_key
from trust_store.clock import ManualClock
from trust_store.pkcs import from_pkcs12


@pytest.fixture(params=["memory", "sqlite"])
async def restartable(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Restartable]:
    kit = Restartable(
        Storages(request.param, tmp_path / "storage"), tmp_path / "state", ManualClock()
    )
    try:
        yield kit
    finally:
        await kit.stop()


def escrowed(items: list[dict[str, Any]], password: bytes) -> list[bytes]:
    """The private keys of PKCS#12 items, as PKCS#8 DER."""
    return [
        from_pkcs12(base64.b64decode(i["pkcs12"]), password).key.private_bytes(
            Encoding.DER, PrivateFormat.PKCS8, NoEncryption()
        )
        for i in items
    ]


async def state(lab: PurebredLab) -> dict[str, Any]:
    http = lab.client()
    return {
        "snapshot": lab.service.snapshot(),
        "issued": await admin_get(http, lab.console("/admin/issued")),
        "agents": await admin_get(http, lab.console("/admin/agents")),
        "cards": await admin_get(http, f"{lab.ca_url}/admin/cards"),
    }


async def test_purebred_and_escrow_survive_a_restart(restartable: Restartable) -> None:
    lab = await restartable.purebred_lab()
    agent = await lab.issue_card(AGENT_UPN, "Agent Smith", history=0)
    alice = await lab.issue_card("alice@corp.example", "Alice Example", history=2)
    bob = await lab.issue_card("bob@corp.example", "Bob Example", history=0)
    await lab.ok("POST", lab.console("/admin/agents"), 201, json={"upn": "second@corp.example"})

    activation = await lab.supervised_enrollment(agent, alice)
    certs = [
        leaf_of(await lab.simpleenroll(activation["accessToken"], label, ec_key()))
        for label in ("pivauth", "signature")
    ]
    used_otp = await lab.user_otp(alice, "key-management")
    assert (await lab.user_key_step(activation, "key-management", used_otp)).status == 200
    recover_otp = await lab.user_otp(alice, "recover")  # handed out, not used yet
    # Bob: identified, confirmed, pre-enrolled; the agent has not compared the fingerprint yet.
    console = await lab.agent_sign_in(agent)
    bob_id = await lab.identify(console, bob)
    pre = await lab.pre_enroll(await lab.agent_otp(console, bob_id, "pre-enroll"), bob.upn, "b-1")
    assert pre.status == 201, pre.body
    spare = await lab.agent_otp(console, bob_id, "pre-enroll")

    before = await state(lab)
    http = lab.client()
    issuer = lab.pki.derived["purebred"].issuing.cert
    statuses = {c.serial_number: await ocsp_status(http, c, issuer) for c in certs}
    assert set(statuses.values()) == {("good", None)}
    await restartable.stop()

    lab = await restartable.purebred_lab()
    assert await state(lab) == before
    assert "second@corp.example" in before["agents"]["agents"]
    http = lab.client()
    issuer = lab.pki.derived["purebred"].issuing.cert
    assert {c.serial_number: await ocsp_status(http, c, issuer) for c in certs} == statuses

    # A used code stays used; one handed out and not used works, and recovers the same keys.
    answer = await lab.user_key_step(activation, "key-management", used_otp)
    assert (answer.status, answer.kind) == (409, "otp-used")
    recovered = await lab.user_key_step(activation, "recover", recover_otp)
    assert recovered.status == 200, recovered.body
    assert escrowed(recovered.json()["items"], b"device-p12") == escrowed(
        alice.answer["keyManagement"][1:], b"card-p12"
    )
    # The device that enrolled asks again: the same authorisation.
    again = await lab.enroll("00000000", enrolled_pre(before), "nonce-1")
    assert again.status == 200 and again.json()["accessToken"] == activation["accessToken"]

    # Bob's pre-enrollment is still waiting: the agent's session goes on, the fingerprint is
    # confirmed and Bob's device enrolls; the spare code is still good.
    doc = pre.json()
    confirmed = await lab.confirm_fingerprint(console, doc["preEnrollment"], doc["fingerprint"])
    assert confirmed.status == 200, confirmed.body
    enrolled = await lab.enroll(
        await lab.agent_otp(console, bob_id, "enroll"), doc["preEnrollment"], "b-1"
    )
    assert enrolled.status == 201, enrolled.body
    assert (await lab.pre_enroll(spare, bob.upn, "b-2")).status == 201


def enrolled_pre(before: dict[str, Any]) -> str:
    """The id of the one enrolled pre-enrollment (Alice's), from the snapshot."""
    [pre_id] = [p[0] for p in before["snapshot"]["preEnrollments"] if p[1] == "enrolled"]
    return str(pre_id)


async def test_escrowed_keys_are_sealed_in_the_stored_file(tmp_path: Path) -> None:
    kit = Restartable(Storages("sqlite", tmp_path / "storage"), tmp_path / "state", ManualClock())
    try:
        lab = await kit.purebred_lab()
        card = await lab.issue_card(history=2)
    finally:
        await kit.stop()
    stored = b"".join(
        p.read_bytes() for p in (tmp_path / "storage").glob(f"{CARD_AUTHORITY}.sqlite3*")
    )
    assert b"keyManagement" in stored  # the card is there ...
    for der in escrowed(card.answer["keyManagement"], b"card-p12"):
        assert der not in stored and base64.b64encode(der) not in stored  # ... its keys are not
        assert base64.b64encode(der[-48:-8]) not in stored
    secret = tmp_path / "state" / "pki" / "escrow.secret"
    assert secret.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "storage" / f"{CARD_AUTHORITY}.sqlite3").stat().st_mode & 0o777 == 0o600
