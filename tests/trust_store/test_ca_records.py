"""A CA's records outlive it: what it issued and revoked and its CRL number are kept in a record
store (a service's storage, or the lab PKI's log), reloaded by a CA built again on the same key,
and its serial numbers never repeat, even from a seeded stream that starts over."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509

from servicekit.storage import MemoryStorage, SqliteStorage, Storage
from trust_store import certprofiles as cp
from trust_store.ca import CertStatus
from trust_store.clock import ManualClock
from trust_store.keys import KeyAlgorithm, generate_key
from trust_store.labpki import LabPKI
from trust_store.randomness import Randomness
from trust_store.records import RecordLog

ROOT = Path(__file__).resolve().parents[2]


def _leaf(pki: LabPKI, name: str = "Alice") -> x509.Certificate:
    key = generate_key(KeyAlgorithm.EC_P256)
    return pki.derived["entrust"].issuing.issue(
        key.public_key(), cp.Subject(name), cp.DERIVED_SIGNATURE
    )


@pytest.fixture(params=["memory", "sqlite"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "memory":
        return MemoryStorage()
    return SqliteStorage(tmp_path / "svc.sqlite3")


def test_a_ca_built_again_on_its_records_knows_everything_and_repeats_no_serial(
    tmp_path: Path, clock: ManualClock, storage: Storage
) -> None:
    state = tmp_path / "lab"
    first = LabPKI.create(clock, Randomness(7), ("entrust",), state)
    first.derived["entrust"].issuing.attach(storage)
    good, revoked = _leaf(first), _leaf(first, "Bob")
    first.derived["entrust"].issuing.revoke(revoked.serial_number, x509.ReasonFlags.superseded)
    crl1 = first.derived["entrust"].issuing.crl()
    storage.commit()

    # The same seed, the same state directory: every stream starts over.
    again = LabPKI.create(clock, Randomness(7), ("entrust",), state)
    ca = again.derived["entrust"].issuing
    assert ca.key.public_key() == first.derived["entrust"].issuing.key.public_key()
    ca.attach(storage)
    assert ca.status(good.serial_number) is CertStatus.GOOD
    assert ca.status(revoked.serial_number) is CertStatus.REVOKED
    assert ca.issued[revoked.serial_number].reason is x509.ReasonFlags.superseded
    assert ca.issued[good.serial_number].cert == good
    fresh = _leaf(again, "Carol")
    used = {
        good.serial_number,
        revoked.serial_number,
        again.derived["entrust"].responder.cert.serial_number,
    }
    assert fresh.serial_number not in used
    crl2 = ca.crl()
    number = crl2.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert number > crl1.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert crl2.get_revoked_certificate_by_serial_number(revoked.serial_number) is not None


def test_each_crl_number_is_greater_even_within_one_second(pki: LabPKI) -> None:
    ca = pki.derived["entrust"].issuing
    numbers = [
        ca.crl().extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
        for _ in range(3)
    ]
    assert numbers == sorted(set(numbers)) and len(numbers) == 3


def test_a_taken_serial_is_drawn_again(pki: LabPKI) -> None:
    ca = pki.derived["entrust"].issuing
    seeded = Randomness(99)
    taken = Randomness(99).serial()
    ca.rand = seeded
    ca.issued[taken] = ca.issued[pki.derived["entrust"].responder.cert.serial_number]
    assert _leaf(pki).serial_number != taken


def test_tls_server_certificates_repeat_no_serial_across_seeded_restarts(
    tmp_path: Path, clock: ManualClock
) -> None:
    serials: list[int] = []
    for _ in range(3):
        pki = LabPKI.create(clock, Randomness(5), ("entrust",), tmp_path)
        serials += [pki.server_credential(n).cert.serial_number for n in ("a", "b")]
        serials.append(pki.derived["entrust"].responder.cert.serial_number)
    tls = serials[0:2] + serials[3:5] + serials[6:8]
    assert len(set(tls)) == 6
    # The responder certificate is kept in pki/ and issued once.
    assert serials[2] == serials[5] == serials[8]
    log = tmp_path / "pki" / "issued.jsonl"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_the_pki_keeps_a_data_key(tmp_path: Path, clock: ManualClock) -> None:
    pki = LabPKI.create(clock, Randomness(1), (), tmp_path)
    key = pki.data_key("escrow")
    assert len(key) == 32 and pki.data_key("escrow") == key
    assert stat.S_IMODE((tmp_path / "pki" / "escrow.secret").stat().st_mode) == 0o600
    assert LabPKI.create(clock, Randomness(1), (), tmp_path).data_key("escrow") == key
    assert LabPKI.create(clock, Randomness(1), ()).data_key("escrow") != key


def test_record_log_cuts_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "issued.jsonl"
    log = RecordLog(path)
    log.put("c", "a", {"n": 1})
    log.put("c", "b", {"n": 2})
    with path.open("ab") as f:
        f.write(b'{"c":"c","k":"x","d":{"n"')  # kill -9 in the middle of a write
    again = RecordLog(path)
    assert again.load("c") == {"a": {"n": 1}, "b": {"n": 2}}
    again.put("c", "d", {"n": 4})
    assert RecordLog(path).load("c") == {"a": {"n": 1}, "b": {"n": 2}, "d": {"n": 4}}


def test_record_log_survives_kill_9_after_put(tmp_path: Path) -> None:
    path = tmp_path / "issued.jsonl"
    code = (
        "import os; from pathlib import Path; from trust_store.records import RecordLog;"
        f"log = RecordLog(Path({str(path)!r})); log.put('c', 'k', {{'v': 1}});"
        "os.kill(os.getpid(), 9)"
    )
    done = subprocess.run([sys.executable, "-c", code], check=False, cwd=ROOT, timeout=60)
    assert done.returncode == -9
    assert RecordLog(path).get("c", "k") == {"v": 1}
    assert os.stat(path).st_size > 0
