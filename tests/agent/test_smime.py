"""S/MIME on the device (agent/smime/) against the openssl command line: signatures verify and
tampering is caught, encryption opens with openssl, and mail that openssl encrypted to an earlier
key-management key is opened with the right key of the history."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import random
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.ciphers import algorithms

from agent.smime import (
    IOS_MAIL_APP,
    DecryptionFailedError,
    MalformedMessageError,
    NoMatchingKeyError,
    NoSmimeIdentityError,
    SmimeAccessDeniedError,
    SmimeError,
    SmimeMail,
    UnsupportedRecipientError,
    cms_der,
    recipients_of,
)
from trust_store import certprofiles as cp
from trust_store.clock import ManualClock
from trust_store.errors import AccessDeniedError
from trust_store.keys import KeyAlgorithm, PrivateKey, generate_key, private_key_pem
from trust_store.labpki import LabPKI
from trust_store.pem import certs_pem
from trust_store.stores import CredentialRole, Identity
from trust_store.stores.ios_keychain import SHARED_GROUP, IOSKeychain

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="needs the openssl command line")

MESSAGE = b"Content-Type: text/plain; charset=us-ascii\r\n\r\nThe launch code is 0000.\r\n"
ALICE = cp.Subject(
    "Alice Smith", card_uuid=uuid.UUID(int=7), upn="alice@corp.example", email="alice@corp.example"
)
BOB = cp.Subject("Bob Jones", card_uuid=uuid.UUID(int=8), email="bob@corp.example")


@pytest.fixture(scope="module")
def rsa_keys() -> list[PrivateKey]:
    """RSA-2048 keys are slow to make: one set for the module (3 for Alice's history, 1 Bob)."""
    return [generate_key(KeyAlgorithm.RSA_2048) for _ in range(4)]


@dataclass
class Mailbox:
    store: IOSKeychain
    mail: SmimeMail
    history: list[Identity]  # oldest first; the last one is current
    signer: Identity
    bob_key: PrivateKey
    bob_cert: x509.Certificate
    roots: list[x509.Certificate]


@pytest.fixture
def box(pki: LabPKI, clock: ManualClock, rsa_keys: list[PrivateKey]) -> Mailbox:
    store = IOSKeychain()
    store.register_app(IOS_MAIL_APP, {SHARED_GROUP})
    history = []
    for n, key in enumerate(rsa_keys[:3]):
        cert = pki.piv.issuing.issue(key.public_key(), ALICE, cp.PIV_CARD_KEY_MANAGEMENT)
        ident = Identity(
            f"KM{n}",
            CredentialRole.KEY_MANAGEMENT,
            key,
            cert,
            tuple(pki.piv.intermediates),
            f"Key management {n}",
            SHARED_GROUP,
            current=n == 2,
        )
        history.append(store.add_identity(ident))
        clock.advance(dt.timedelta(days=1))
    sig_key = generate_key(KeyAlgorithm.EC_P256)
    entrust = pki.derived["entrust"]
    sig_cert = entrust.issuing.issue(sig_key.public_key(), ALICE, cp.DERIVED_SIGNATURE)
    signer = store.add_identity(
        Identity(
            "SIG",
            CredentialRole.SIGNATURE,
            sig_key,
            sig_cert,
            tuple(entrust.intermediates),
            "Derived credential (digitalSignature)",
            SHARED_GROUP,
        )
    )
    bob_cert = pki.piv.issuing.issue(rsa_keys[3].public_key(), BOB, cp.PIV_CARD_KEY_MANAGEMENT)
    return Mailbox(
        store,
        SmimeMail(store, IOS_MAIL_APP, clock),
        history,
        signer,
        rsa_keys[3],
        bob_cert,
        [pki.piv.root.cert, entrust.root.cert],
    )


def openssl(*args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    assert OPENSSL is not None
    return subprocess.run([OPENSSL, *args], input=data, capture_output=True, timeout=30)


def write(tmp: Path, name: str, data: bytes) -> str:
    path = tmp / name
    path.write_bytes(data)
    return str(path)


def canonical(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n")


# --- signing ---------------------------------------------------------------------------------


@needs_openssl
@pytest.mark.parametrize("detached", [True, False], ids=["detached", "opaque"])
def test_signature_verifies_with_openssl_and_tampering_fails(
    box: Mailbox, tmp_path: Path, clock: ManualClock, detached: bool
) -> None:
    signed = box.mail.sign(
        MESSAGE, detached=detached, headers={"From": "alice@corp.example", "Subject": "hi"}
    )
    assert signed.startswith(b"From: alice@corp.example\r\nSubject: hi\r\n")
    kind = b"multipart/signed" if detached else b"application/pkcs7-mime"
    assert kind in signed
    # Only the roots are trusted: the derived issuing CA must travel in the message.
    ca = write(tmp_path, "roots.pem", certs_pem(box.roots))
    at = str(int(clock.now().timestamp()))
    verify = ("cms", "-verify", "-CAfile", ca, "-purpose", "any", "-attime", at)
    ok = openssl(*verify, data=signed)
    assert ok.returncode == 0, ok.stderr.decode()
    assert canonical(ok.stdout) == canonical(MESSAGE)
    signers = openssl(*verify, "-signer", str(tmp_path / "signer.pem"), data=signed)
    assert signers.returncode == 0
    assert x509.load_pem_x509_certificate((tmp_path / "signer.pem").read_bytes()) == box.signer.cert

    if detached:
        tampered = signed.replace(b"0000", b"1234")
    else:  # change the content inside the intact SignedData structure
        head, body = signed.split(b"\r\n\r\n", 1)
        der = base64.b64decode(body).replace(b"0000", b"1234")
        tampered = head + b"\r\n\r\n" + base64.encodebytes(der)
    assert tampered != signed
    bad = openssl(*verify, data=tampered)
    assert bad.returncode != 0


@needs_openssl
def test_signature_needs_a_trusted_root(
    box: Mailbox, tmp_path: Path, pki: LabPKI, clock: ManualClock
) -> None:
    signed = box.mail.sign(MESSAGE)
    other = write(tmp_path, "other.pem", certs_pem([pki.derived["intercede"].root.cert]))
    at = str(int(clock.now().timestamp()))
    res = openssl("cms", "-verify", "-CAfile", other, "-purpose", "any", "-attime", at, data=signed)
    assert res.returncode != 0
    assert b"unable to get local issuer certificate" in res.stderr


def test_sign_without_a_signature_identity(box: Mailbox) -> None:
    box.store.remove_identity(box.signer.ref)
    with pytest.raises(NoSmimeIdentityError, match="digital-signature"):
        box.mail.sign(MESSAGE)


def test_expired_signature_identity_is_not_used(box: Mailbox, clock: ManualClock) -> None:
    clock.advance(dt.timedelta(days=4 * 365))
    with pytest.raises(NoSmimeIdentityError):
        box.mail.sign(MESSAGE)


# --- encryption ------------------------------------------------------------------------------


@needs_openssl
def test_encrypt_to_own_current_key_opens_with_openssl(box: Mailbox, tmp_path: Path) -> None:
    current = box.history[-1]
    enc = box.mail.encrypt(MESSAGE)
    assert [r.serial for r in recipients_of(enc)] == [current.cert.serial_number]
    printed = openssl("cms", "-cmsout", "-print", data=enc)
    assert b"aes-256-cbc" in printed.stdout
    cert = write(tmp_path, "km.pem", certs_pem([current.cert]))
    key = write(tmp_path, "km.key", private_key_pem(current.key))
    res = openssl("cms", "-decrypt", "-recip", cert, "-inkey", key, data=enc)
    assert res.returncode == 0, res.stderr.decode()
    assert canonical(res.stdout) == canonical(MESSAGE)
    # and the device opens its own mail
    assert box.mail.decrypt(enc).content == MESSAGE


@needs_openssl
def test_encrypt_to_another_user(box: Mailbox, tmp_path: Path) -> None:
    enc = box.mail.encrypt(MESSAGE, [box.bob_cert], cipher=algorithms.AES128)
    assert b"aes-128-cbc" in openssl("cms", "-cmsout", "-print", data=enc).stdout
    cert = write(tmp_path, "bob.pem", certs_pem([box.bob_cert]))
    key = write(tmp_path, "bob.key", private_key_pem(box.bob_key))
    res = openssl("cms", "-decrypt", "-recip", cert, "-inkey", key, data=enc)
    assert res.returncode == 0, res.stderr.decode()
    assert canonical(res.stdout) == canonical(MESSAGE)
    # Alice cannot read what she sent only to Bob.
    with pytest.raises(NoMatchingKeyError, match="encrypted for serial"):
        box.mail.decrypt(enc)


def test_encrypt_refuses_non_rsa_and_non_encipherment_recipients(box: Mailbox) -> None:
    with pytest.raises(UnsupportedRecipientError, match="RSA"):
        box.mail.encrypt(MESSAGE, [box.signer.cert])


def test_encrypt_refuses_rsa_certificate_without_key_encipherment(
    box: Mailbox, pki: LabPKI
) -> None:
    sig_only = pki.piv.issuing.issue(box.bob_key.public_key(), BOB, cp.PIV_CARD_SIGNATURE)
    with pytest.raises(UnsupportedRecipientError, match="keyEncipherment"):
        box.mail.encrypt(MESSAGE, [sig_only])


# --- decryption with the key history ----------------------------------------------------------


@needs_openssl
@pytest.mark.parametrize(
    "form",
    [
        [],
        ["-stream"],
        ["-outform", "DER"],
        ["-outform", "PEM"],
        ["-keyid"],
        ["-stream", "-outform", "DER"],
    ],
    ids=["smime", "smime-ber", "der", "pem", "subject-key-id", "ber"],
)
def test_openssl_mail_to_an_earlier_key_is_decrypted(
    box: Mailbox, tmp_path: Path, form: list[str]
) -> None:
    earlier = box.history[0]
    assert not earlier.current
    cert = write(tmp_path, "earlier.pem", certs_pem([earlier.cert]))
    enc = openssl("cms", "-encrypt", "-aes256", *form, cert, data=MESSAGE)
    assert enc.returncode == 0, enc.stderr.decode()
    out = box.mail.decrypt(enc.stdout)
    assert canonical(out.content) == canonical(MESSAGE)
    assert out.identity.ref == earlier.ref and out.identity.current is False
    assert out.message().get_content().strip() == "The launch code is 0000."


@needs_openssl
def test_several_recipients_the_matching_key_is_chosen(box: Mailbox, tmp_path: Path) -> None:
    bob = write(tmp_path, "bob.pem", certs_pem([box.bob_cert]))
    middle = write(tmp_path, "middle.pem", certs_pem([box.history[1].cert]))
    enc = openssl("cms", "-encrypt", "-aes256", bob, middle, data=MESSAGE)
    assert enc.returncode == 0, enc.stderr.decode()
    assert len(recipients_of(enc.stdout)) == 2
    out = box.mail.decrypt(enc.stdout)
    assert out.identity.ref == box.history[1].ref
    assert out.recipient.matches(box.history[1].cert)


@needs_openssl
def test_no_key_in_the_history_matches(box: Mailbox, tmp_path: Path) -> None:
    bob = write(tmp_path, "bob.pem", certs_pem([box.bob_cert]))
    enc = openssl("cms", "-encrypt", "-aes256", bob, data=MESSAGE)
    with pytest.raises(NoMatchingKeyError) as err:
        box.mail.decrypt(enc.stdout)
    assert err.value.code == "no-matching-key"
    assert len(err.value.held) == 3
    assert f"{box.bob_cert.serial_number:x}" in str(err.value)
    assert "Key management 0" in str(err.value)


def test_history_lost_its_earlier_keys(box: Mailbox) -> None:
    enc = box.mail.encrypt(MESSAGE, [box.history[0].cert])
    box.store.remove_identity(box.history[0].ref)
    with pytest.raises(NoMatchingKeyError):
        box.mail.decrypt(enc)


@pytest.mark.parametrize(
    "data",
    [
        MESSAGE,
        b"\x30\x03\x02\x01",
        b"\x30\x80\x06\x03\x2a\x03\x04",
        b"-----BEGIN PKCS7-----\n!!!\n-----END PKCS7-----\n",
    ],
    ids=["plain-mail", "truncated", "unterminated-ber", "bad-pem"],
)
def test_malformed_input(box: Mailbox, data: bytes) -> None:
    with pytest.raises(MalformedMessageError):
        box.mail.decrypt(data)


def test_signed_message_is_not_an_encrypted_one(box: Mailbox) -> None:
    with pytest.raises(MalformedMessageError):
        box.mail.decrypt(box.mail.sign(MESSAGE, detached=False))


def test_headers_must_be_single_lines(box: Mailbox) -> None:
    with pytest.raises(MalformedMessageError):
        box.mail.sign(MESSAGE, headers={"Subject": "hi\r\nBcc: eve@example"})


# --- access ----------------------------------------------------------------------------------


def test_app_outside_the_access_group_is_refused(box: Mailbox) -> None:
    outsider = SmimeMail(box.store, "com.example.unmanaged-mail")
    enc = box.mail.encrypt(MESSAGE)
    for op in (
        lambda: outsider.sign(MESSAGE),
        lambda: outsider.encrypt(MESSAGE),
        lambda: outsider.decrypt(enc),
    ):
        with pytest.raises(AccessDeniedError, match="not entitled") as err:
            op()
        assert isinstance(err.value, SmimeAccessDeniedError)


def test_app_with_another_group_is_refused(box: Mailbox) -> None:
    box.store.register_app("com.example.other", {"TEAMID.com.example.other"})
    with pytest.raises(SmimeAccessDeniedError, match=SHARED_GROUP):
        SmimeMail(box.store, "com.example.other").key_history()


def test_ber_element_running_past_its_container(box: Mailbox) -> None:
    # SEQUENCE of 4 octets holding an indefinite SEQUENCE whose end-of-contents lies outside.
    with pytest.raises(MalformedMessageError):
        box.mail.decrypt(b"\x30\x04\x30\x80\x02\x01\x00\x00\x00\x00")


@needs_openssl
def test_unsupported_content_cipher_is_a_typed_error(box: Mailbox, tmp_path: Path) -> None:
    cert = write(tmp_path, "km.pem", certs_pem([box.history[0].cert]))
    enc = openssl("cms", "-encrypt", "-des3", cert, data=MESSAGE)
    assert enc.returncode == 0, enc.stderr.decode()
    with pytest.raises(DecryptionFailedError, match="unsupported content encryption"):
        box.mail.decrypt(enc.stdout)


def test_damaged_messages_fail_with_typed_errors_only(box: Mailbox) -> None:
    good = cms_der(box.mail.encrypt(MESSAGE))
    rng = random.Random(157)
    for _ in range(300):
        damaged = bytearray(good)
        for _ in range(rng.randint(1, 3)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        if rng.random() < 0.2:
            damaged = damaged[: rng.randrange(len(damaged))]
        with contextlib.suppress(SmimeError):  # anything else fails the test
            box.mail.decrypt(bytes(damaged))
