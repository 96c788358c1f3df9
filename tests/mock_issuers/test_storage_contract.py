"""The storage contract of the card authority and the portal issuers, over both backends
(memory and SQLite; nanomdm's one-suite-every-backend): cards and credentials issued through the
HTTP API, every app and PKI object dropped, the servers built again from the same storages on
the same state directory, seed and ports -- and everything answers as before.

The lab clock is the real time: TLS checks client certificates against it (the re-key's
derived credential)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from tests.mock_issuers.conftest import Device, Lab
from tests.mock_issuers.restart_kit import Restartable, Storages, admin_get, crl_number, ocsp_status
from tests.mock_issuers.test_issuer_rekey import KINDS, LABELS, enrolled, leaves, rekey, updates
from tests.mock_issuers.testkit import SoftCard, b64, csr_der, device_body, ec_key, expect_problem
from trust_store.clock import ManualClock
from trust_store.labpki import LabPKI


@pytest.fixture(params=["memory", "sqlite"])
async def restartable(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Restartable]:
    kit = Restartable(
        Storages(request.param, tmp_path / "storage"), tmp_path / "state", ManualClock()
    )
    try:
        yield kit
    finally:
        await kit.stop()


def every_certificate(pki: LabPKI) -> dict[int, tuple[x509.Certificate, x509.Certificate]]:
    """Every certificate the card CA and the issuers' CAs signed that names an OCSP responder,
    with its issuer's certificate, by serial."""
    out = {}
    for ca in [pki.piv.issuing, *(h.issuing for h in pki.derived.values())]:
        for serial, rec in ca.issued.items():
            if rec.cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
                continue
            try:
                rec.cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
            except x509.ExtensionNotFound:
                continue
            out[serial] = (rec.cert, ca.cert)
    return out


async def statuses(
    lab: Lab, certs: dict[int, tuple[x509.Certificate, x509.Certificate]]
) -> dict[int, Any]:
    http = lab.anonymous()
    return {
        serial: await ocsp_status(http, cert, issuer) for serial, (cert, issuer) in certs.items()
    }


async def listings(lab: Lab) -> dict[str, Any]:
    http = lab.anonymous()
    docs = {"cards": await admin_get(http, f"{lab.ca_url}/admin/cards")}
    for name in lab.apps:
        docs[name] = await admin_get(http, f"{lab.url(name)}/admin/issued")
    return docs


async def crl_numbers(lab: Lab) -> dict[str, int]:
    http = lab.anonymous()
    out = {}
    for name, url in [("card-authority", lab.ca_url), *((n, lab.url(n)) for n in lab.apps)]:
        async with http.get(f"{url}/crl") as r:
            out[name] = crl_number(await r.read())
    return out


def snapshots(lab: Lab) -> dict[str, Any]:
    return {"card-authority": lab.authority.snapshot()} | {
        name: lab.service(name).snapshot() for name in lab.apps
    }


async def activate_with(lab: Lab, token: str, upn: str, password: str | None) -> Any:
    http = lab.anonymous()
    return http.post(
        f"{lab.url('entrust')}/device/v1/activations", json=device_body(token, upn, password)
    )


async def test_cards_enrollments_and_statuses_survive_a_restart(restartable: Restartable) -> None:
    lab = await restartable.portal_lab()
    alice = await lab.issue_card("alice@agency.example", "Alice Example", history=1)
    bob = await lab.issue_card("bob@agency.example", "Bob Example")
    carol = await lab.issue_card("carol@agency.example", "Carol Example")

    # Entrust: Alice enrolls fully; Carol too, then her card and her credential are revoked;
    # Bob asks for a QR code, and his device types one wrong password.
    alice_entrust = await lab.enroll(alice, "entrust")
    alice_device = await lab.activate(alice_entrust, alice.upn)
    alice_keys = {label: ec_key() for label in LABELS.values()}
    alice_certs = {k: await alice_device.enroll_cert(k, key) for k, key in alice_keys.items()}
    carol_device = await lab.activate(await lab.enroll(carol, "entrust"), carol.upn)
    await carol_device.enroll_cert("pivauth", ec_key())
    await lab.revoke_card(carol)
    async with lab.admin().post(
        f"{lab.url('entrust')}/admin/enrollments/{carol_device.activation['enrollment']}/revoke",
        json={"reason": "keyCompromise"},
    ) as r:
        assert r.status == 200
    bob_entrust = await lab.enroll(bob, "entrust")
    async with await activate_with(lab, bob_entrust.token, bob.upn, "00000000") as r:
        assert (await expect_problem(r, 403, "password-mismatch"))["attemptsRemaining"] == 4

    # Intercede: Alice's name changes at the issuer; her device re-keys, the old is revoked.
    cred = await enrolled(lab, "intercede", alice)
    async with lab.admin().post(
        f"{lab.url('intercede')}/admin/people/{alice.upn}", json={"name": "Alice Renamed"}
    ) as r:
        assert r.status == 200 and (await r.json())["rekeyDue"]
    old_certs, old_keys = dict(cred.certs), dict(cred.keys)
    new_keys = {k: ec_key() for k in KINDS}
    body = {"csrs": {k: b64(csr_der(key)) for k, key in new_keys.items()}}
    renewed = leaves(await rekey(cred.mtls(), cred.url, body))

    # Intercede: Bob's device is activated and has asked for nothing yet.
    bob_intercede = await lab.activate(await lab.enroll(bob, "intercede"), bob.upn)

    before = {
        "listings": await listings(lab),
        "snapshots": snapshots(lab),
        "crl": await crl_numbers(lab),
    }
    certs = every_certificate(lab.pki)
    status_before = await statuses(lab, certs)
    old_uuids = {uuid.UUID(c.uuid) for c in (alice, bob, carol)}
    old_serials = {ca: set(c.issued) for ca, c in _cas(lab.pki).items()}
    await restartable.stop()

    # --- a new process on the same storages, state directory, seed and ports ---------------
    lab = await restartable.portal_lab()
    assert await listings(lab) == before["listings"]
    assert snapshots(lab) == before["snapshots"]
    assert await statuses(lab, certs) == status_before
    assert status_before[carol.auth_cert.serial_number] == ("revoked", "keyCompromise")
    for old in cred.certs.values():
        assert status_before[old.serial_number] == ("revoked", "affiliationChanged")
    after = await crl_numbers(lab)
    assert all(after[n] > before["crl"][n] for n in after), (before["crl"], after)

    # A used activation token stays used; the device that used it keeps its authorisation,
    # and asking again for a certificate it has gets the same one (nothing issued twice).
    async with await activate_with(
        lab, alice_entrust.token, alice.upn, alice_entrust.password
    ) as r:
        await expect_problem(r, 409, "token-used")
    device = Device(lab, "entrust", lab.anonymous(), alice_device.activation)
    assert await device.enroll_cert("pivauth", alice_keys["pivauth"]) == alice_certs["pivauth"]
    # Alice's portal session is still open.
    async with lab.anonymous().get(
        f"{lab.url('entrust')}/portal/enrollments/{alice_entrust.doc['id']}",
        headers=alice_entrust.portal_auth,
    ) as r:
        assert r.status == 200 and (await r.json())["status"] == "issued"

    # Bob's pending QR code is still redeemable, with the wrong attempt counted.
    async with await activate_with(lab, bob_entrust.token, bob.upn, "00000000") as r:
        assert (await expect_problem(r, 403, "password-mismatch"))["attemptsRemaining"] == 3
    bob_device = await lab.activate(bob_entrust, bob.upn)
    await bob_device.enroll_cert("pivauth", ec_key())

    # An activated device's access token still authorises its certificate requests.
    bob_intercede = Device(lab, "intercede", lab.anonymous(), bob_intercede.activation)
    await bob_intercede.enroll_cert("pivauth", ec_key())

    # The re-keyed credential authenticates; the superseded one stays refused.
    cred.lab, cred.certs, cred.keys = lab, renewed, new_keys
    doc = await updates(cred.mtls(), cred.url)
    assert doc["rekeyDue"] is False and doc["enrollment"] == cred.device.activation["enrollment"]
    superseded = cred.mtls(old_certs["pivAuthentication"], old_keys["pivAuthentication"])
    async with superseded.get(cred.url + "/device/v1/credential/updates") as r:
        await expect_problem(r, 409, "already-rekeyed")

    # New cards and certificates after the restart never repeat a stored UUID or serial,
    # although every seeded stream started over: each one adds a record, none replaces one.
    dave = await lab.issue_card("dave@agency.example", "Dave Example")
    assert uuid.UUID(dave.uuid) not in old_uuids
    dave_device = await lab.activate(await lab.enroll(dave, "entrust"), dave.upn)
    dave_cert = await dave_device.enroll_cert("signature", ec_key())
    assert dave.auth_cert.serial_number not in old_serials["piv"]
    assert dave_cert.serial_number not in old_serials["entrust"]
    cas = _cas(lab.pki)
    for serial, (cert, _issuer) in certs.items():
        assert any(ca.issued.get(serial) and ca.issued[serial].cert == cert for ca in cas.values())
    # Dave's card; Bob's and Dave's Entrust certificates; Bob's Intercede one.
    added = {"piv": 3, "entrust": 2, "intercede": 1, "purebred": 0}
    for name, ca in cas.items():
        assert len(ca.issued) == len(old_serials[name]) + added[name], name


def _cas(pki: LabPKI) -> dict[str, Any]:
    return {"piv": pki.piv.issuing, **{n: h.issuing for n, h in pki.derived.items()}}


async def test_seeded_restarts_never_repeat_a_card_uuid_or_a_serial(
    restartable: Restartable,
) -> None:
    uuids: list[str] = []
    serials: list[int] = []
    for _ in range(3):
        lab = await restartable.portal_lab()
        for i in range(2):
            card: SoftCard = await lab.issue_card(f"user{len(uuids)}-{i}@agency.example")
            uuids.append(card.uuid)
            serials.append(card.auth_cert.serial_number)
            device = await lab.activate(await lab.enroll(card, "entrust"), card.upn)
            serials.append((await device.enroll_cert("pivauth", ec_key())).serial_number)
        await restartable.stop()
    assert len(set(uuids)) == len(uuids) == 6
    assert len(set(serials)) == len(serials) == 12


async def test_reset_clears_what_it_forgets_and_keeps_the_ca_records(
    restartable: Restartable,
) -> None:
    lab = await restartable.portal_lab()
    card = await lab.issue_card()
    device = await lab.activate(await lab.enroll(card, "entrust"), card.upn)
    cert = await device.enroll_cert("pivauth", ec_key())
    issued = await listings(lab)
    for url in (lab.ca_url, lab.url("entrust")):
        async with lab.admin().post(f"{url}/admin/reset") as r:
            assert r.status == 204
    await restartable.stop()

    lab = await restartable.portal_lab()
    assert lab.authority.cards == {} and len(lab.service("entrust").enrollments) == 0

    # The CA's records stay (the enrollments they were issued to are forgotten).
    def kept(listing: dict[str, Any]) -> list[tuple[str, str, str]]:
        return [(i["serial"], i["profile"], i["status"]) for i in listing["issued"]]

    after = (await listings(lab))["entrust"]
    assert kept(after) == kept(issued["entrust"])
    assert {i["enrollment"] for i in after["issued"]} == {None}
    http = lab.anonymous()
    issuer = lab.pki.derived["entrust"].issuing.cert
    assert await ocsp_status(http, cert, issuer) == ("good", None)
    assert await ocsp_status(http, card.auth_cert, card.chain[0]) == ("good", None)
    again = await lab.issue_card()  # the same seed, after a reset: still a new UUID
    assert again.uuid != card.uuid
    assert again.auth_cert.serial_number != card.auth_cert.serial_number
