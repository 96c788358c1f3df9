from __future__ import annotations

import datetime as dt
import uuid

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from trust_store import certprofiles as cp
from trust_store import oids
from trust_store.ca import CertStatus, IssuanceError
from trust_store.errors import OCSPError
from trust_store.keys import KeyAlgorithm, WeakKeyError, generate_key
from trust_store.labpki import LabPKI
from trust_store.ocsp import build_request, check_response


def issue_derived(pki: LabPKI, card_uuid: uuid.UUID) -> x509.Certificate:
    h = pki.derived["entrust"]
    h.issuing.urls.ocsp = "https://127.0.0.1:9/ocsp"
    h.issuing.urls.crl = "https://127.0.0.1:9/crl"
    key = generate_key(KeyAlgorithm.EC_P256)
    return h.issuing.issue(
        key.public_key(),
        cp.Subject("Alice Smith", card_uuid=card_uuid, upn="alice@lab"),
        cp.DERIVED_PIV_AUTH,
    )


def test_derived_piv_auth_profile(pki: LabPKI) -> None:
    card_uuid = uuid.uuid4()
    cert = issue_derived(pki, card_uuid)
    ext = cert.extensions
    ku = ext.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.digital_signature and not ku.value.key_encipherment
    eku = ext.get_extension_for_class(x509.ExtendedKeyUsage)
    assert not eku.critical
    assert set(eku.value) == {ExtendedKeyUsageOID.CLIENT_AUTH, oids.EKU_PKINIT_CLIENT_AUTH}
    policies = [
        p.policy_identifier for p in ext.get_extension_for_class(x509.CertificatePolicies).value
    ]
    assert policies == [oids.DERIVED_PIV_AUTH]
    san = ext.get_extension_for_class(x509.SubjectAlternativeName).value
    assert card_uuid.urn in san.get_values_for_type(x509.UniformResourceIdentifier)
    assert ext.get_extension_for_oid(oids.PIV_INTERIM).value.value == b"\x01\x01\x00"  # type: ignore[attr-defined]
    aia = ext.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert aia[0].access_location.value == "https://127.0.0.1:9/ocsp"
    crldp = ext.get_extension_for_class(x509.CRLDistributionPoints).value
    assert crldp[0].full_name[0].value == "https://127.0.0.1:9/crl"  # type: ignore[index]
    assert (
        cert.not_valid_after_utc - cert.not_valid_before_utc
        <= oids.DERIVED_MAX_VALIDITY + dt.timedelta(minutes=5)
    )


def test_validity_longer_than_three_years_is_refused(pki: LabPKI) -> None:
    key = generate_key(KeyAlgorithm.EC_P256)
    with pytest.raises(IssuanceError, match="exceeds"):
        pki.derived["entrust"].issuing.issue(
            key.public_key(),
            cp.Subject("A"),
            cp.DERIVED_PIV_AUTH,
            validity=dt.timedelta(days=4 * 365),
        )


def test_weak_keys_are_refused(pki: LabPKI) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    with pytest.raises(WeakKeyError):
        pki.piv.issuing.issue(
            rsa.generate_private_key(65537, 1024).public_key(), cp.Subject("A"), cp.PIV_CARD_AUTH
        )
    with pytest.raises(WeakKeyError):
        pki.piv.issuing.issue(
            ec.generate_private_key(ec.SECP192R1()).public_key(), cp.Subject("A"), cp.PIV_CARD_AUTH
        )


def test_ocsp_good_revoked_unknown_and_crl(pki: LabPKI, clock) -> None:  # type: ignore[no-untyped-def]
    h = pki.derived["entrust"]
    cert = issue_derived(pki, uuid.uuid4())
    nonce = b"0123456789abcdef"
    req = build_request(cert, h.issuing.cert, nonce)
    assert (
        check_response(h.responder.respond(req), cert, h.issuing.cert, clock.now(), nonce).status
        is CertStatus.GOOD
    )
    h.issuing.revoke(cert.serial_number, x509.ReasonFlags.key_compromise)
    ans = check_response(h.responder.respond(req), cert, h.issuing.cert, clock.now(), nonce)
    assert ans.status is CertStatus.REVOKED and ans.revoked_at is not None
    crl = h.issuing.crl()
    assert crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None
    assert crl.is_signature_valid(h.issuing.cert.public_key())  # type: ignore[arg-type]
    # A response for another CA's certificate is refused, not trusted.
    other = pki.derived["intercede"]
    with pytest.raises(OCSPError):
        check_response(other.responder.respond(req), cert, h.issuing.cert, clock.now(), nonce)


def test_ocsp_stale_and_tampered(pki: LabPKI, clock) -> None:  # type: ignore[no-untyped-def]
    h = pki.derived["entrust"]
    cert = issue_derived(pki, uuid.uuid4())
    resp = h.responder.respond(build_request(cert, h.issuing.cert))
    with pytest.raises(OCSPError, match="stale"):
        check_response(resp, cert, h.issuing.cert, clock.now() + dt.timedelta(days=1))
    tampered = bytearray(resp)
    tampered[-5] ^= 0xFF
    with pytest.raises(OCSPError):
        check_response(bytes(tampered), cert, h.issuing.cert, clock.now())
    assert h.responder.respond(b"garbage")  # malformedRequest answer, not an exception


def test_lab_pki_reloads_from_state_dir(tmp_path, clock, rand) -> None:  # type: ignore[no-untyped-def]
    a = LabPKI.create(clock, rand, ("entrust",), state_dir=tmp_path)
    b = LabPKI.create(clock, rand, ("entrust",), state_dir=tmp_path)
    assert a.tls_root.cert == b.tls_root.cert
    assert a.derived["entrust"].issuing.cert == b.derived["entrust"].issuing.cert
    assert oct((tmp_path / "pki" / "tls-root.key.pem").stat().st_mode & 0o777) == "0o600"
