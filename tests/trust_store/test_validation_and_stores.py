from __future__ import annotations

import datetime as dt
import uuid

import pytest

from trust_store import certprofiles as cp
from trust_store import oids
from trust_store.errors import (
    AccessDeniedError,
    ChainValidationError,
    NoTrustedRootError,
    StoreError,
)
from trust_store.keys import KeyAlgorithm, generate_key
from trust_store.labpki import LabPKI
from trust_store.secrets import FileKeyring, MemoryKeyring
from trust_store.stores import CertificateStore, CredentialRole, Identity
from trust_store.stores.ios_keychain import COMPANY_PORTAL, SHARED_GROUP, IOSKeychain


def identity(pki: LabPKI, scope: str = SHARED_GROUP) -> Identity:
    h = pki.derived["entrust"]
    key = generate_key(KeyAlgorithm.EC_P256)
    cert = h.issuing.issue(
        key.public_key(), cp.Subject("Alice", card_uuid=uuid.uuid4()), cp.DERIVED_PIV_AUTH
    )
    return Identity(
        str(uuid.uuid4()).upper(),
        CredentialRole.PIV_AUTH,
        key,
        cert,
        (h.issuing.cert,),
        "dc",
        scope,
    )


def test_chain_needs_a_deployed_root(pki: LabPKI, clock) -> None:  # type: ignore[no-untyped-def]
    store = IOSKeychain()
    ident = store.add_identity(identity(pki))
    with pytest.raises(NoTrustedRootError, match="trusted-root profile"):
        store.validate(ident, clock.now(), policies=[oids.DERIVED_PIV_AUTH])
    store.add_trusted_root(pki.piv.root.cert, "profile:wrong")
    with pytest.raises(ChainValidationError):
        store.validate(ident, clock.now())
    store.add_trusted_root(pki.derived["entrust"].root.cert, "profile:right")
    chain = store.validate(ident, clock.now(), policies=[oids.DERIVED_PIV_AUTH])
    assert chain[-1] == pki.derived["entrust"].root.cert
    with pytest.raises(ChainValidationError, match=r"2\.16\.840\.1\.101\.3\.2\.1\.3\.41"):
        store.validate(ident, clock.now(), policies=[oids.DERIVED_PIV_AUTH_HARDWARE])
    with pytest.raises(ChainValidationError):
        store.validate(ident, clock.now() + dt.timedelta(days=4 * 365))


def test_keychain_access_groups(pki: LabPKI) -> None:
    store = IOSKeychain()
    ident = store.add_identity(identity(pki))
    store.register_app("com.example.managed", {SHARED_GROUP})
    store.register_app("com.example.other", {"TEAM.other"})
    assert store.identities(COMPANY_PORTAL) == [ident]
    assert store.identities("com.example.managed") == [ident]
    with pytest.raises(AccessDeniedError, match="not entitled"):
        store.identities("com.example.other")
    with pytest.raises(StoreError):
        store.add_identity(ident)  # same reference twice


def test_non_ca_cannot_be_a_trusted_root(pki: LabPKI) -> None:
    with pytest.raises(StoreError):
        IOSKeychain().add_trusted_root(identity(pki).cert, "x")


def test_store_round_trip_keeps_keys_encrypted(pki: LabPKI) -> None:
    store = IOSKeychain()
    ident = store.add_identity(identity(pki))
    store.add_trusted_root(pki.derived["entrust"].root.cert, "profile:r")
    doc = store.to_json(b"kek-secret")
    assert "ENCRYPTED PRIVATE KEY" in doc["identities"][0]["key"]
    again = CertificateStore.from_json(doc, b"kek-secret")
    assert again.all_identities()[0].cert == ident.cert
    assert again.trusted_roots() == [pki.derived["entrust"].root.cert]


@pytest.mark.parametrize("factory", ["file", "memory"])
def test_keyring_backends(tmp_path, factory) -> None:  # type: ignore[no-untyped-def]
    from keyring.errors import PasswordDeleteError

    kr = FileKeyring(tmp_path / "dev1") if factory == "file" else MemoryKeyring()
    assert kr.get_password("svc", "pin") is None
    kr.set_password("svc", "pin", "123456")
    assert kr.get_password("svc", "pin") == "123456"
    kr.delete_password("svc", "pin")
    with pytest.raises(PasswordDeleteError):
        kr.delete_password("svc", "pin")
    if factory == "file":
        assert oct((tmp_path / "dev1" / "secrets.json").stat().st_mode & 0o777) == "0o600"
        # Two devices never see each other's secrets.
        other = FileKeyring(tmp_path / "dev2")
        kr.set_password("svc", "x", "1")
        assert other.get_password("svc", "x") is None
