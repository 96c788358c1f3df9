"""The lab's PKI: every CA hierarchy the servers and the agent need.

- a TLS root that certifies every server's HTTPS certificate;
- the "PIV card" hierarchy (root, card-issuing CA, delegated OCSP responder) behind the users'
  smart cards;
- one derived-credential hierarchy (root, issuing CA, OCSP responder) per issuer.

Keys and certificates are generated at start-up, or loaded from a state directory when one is
given (and written there the first time). They are never part of the source tree.

With a state directory, `pki/` also holds what the CAs issue while the PKI is built and the
servers start (issuing CA, OCSP responder and TLS server certificates) in `issued.jsonl`, so no
serial number is used twice under one CA key across restarts, even with a seeded randomness;
what the card authority and the issuers sign is recorded in their own storage (`CA.attach`).
`data_key(name)` is a 256-bit secret kept beside the CA keys (0600), for a service to seal what
it stores (the card authority's escrowed keys).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from cryptography import x509

from . import certprofiles as cp
from . import oids
from .ca import CertificateAuthority, IssuedCert, self_signed_root
from .certprofiles import Subject
from .clock import Clock
from .keys import KeyAlgorithm, PrivateKey, generate_key, load_private_key_pem, private_key_pem
from .ocsp import OcspResponder
from .pem import cert_pem, write_private
from .randomness import Randomness
from .records import RecordLog

CA_KEY = KeyAlgorithm.EC_P256
LOOPBACK_NAMES = ("localhost",)

#: Policies each issuing CA asserts, so relying parties that require an explicit policy
#: (e.g. `openssl verify -explicit_policy -policy <derived-PIV OID>`) accept its leaves.
PIV_CA_POLICIES = (
    oids.FPKI_COMMON_AUTHENTICATION,
    oids.FPKI_COMMON_CARD_AUTH,
    oids.FPKI_COMMON_HARDWARE,
)
DERIVED_CA_POLICIES = (
    oids.DERIVED_PIV_AUTH,
    oids.DERIVED_PIV_AUTH_HARDWARE,
    oids.FPKI_COMMON_POLICY,
)
LOOPBACK_IPS = ("127.0.0.1", "::1")
#: Bytes of a `data_key` (AES-256).
DATA_KEY_BYTES = 32


@dataclass
class Hierarchy:
    """A two-level CA hierarchy with a delegated OCSP responder for the issuing CA."""

    label: str
    root: CertificateAuthority
    issuing: CertificateAuthority
    responder: OcspResponder

    @property
    def anchors(self) -> list[x509.Certificate]:
        return [self.root.cert]

    @property
    def intermediates(self) -> list[x509.Certificate]:
        return [self.issuing.cert]


@dataclass
class ServerCredential:
    cert: x509.Certificate
    key: PrivateKey
    chain: list[x509.Certificate]


class _KeyCache:
    """Loads (or creates and stores) named keys and certificates under a state directory."""

    def __init__(self, root: Path | None) -> None:
        self.root = root

    def key(self, name: str, alg: KeyAlgorithm) -> PrivateKey:
        path = self.root / f"{name}.key.pem" if self.root else None
        if path and path.exists():
            return load_private_key_pem(path.read_bytes())
        key = generate_key(alg)
        if path:
            write_private(path, private_key_pem(key))
        return key

    def cert(self, name: str) -> x509.Certificate | None:
        path = self.root / f"{name}.cert.pem" if self.root else None
        if path and path.exists():
            return x509.load_pem_x509_certificate(path.read_bytes())
        return None

    def save_cert(self, name: str, cert: x509.Certificate) -> None:
        if self.root:
            write_private(self.root / f"{name}.cert.pem", cert_pem(cert))

    def secret(self, name: str) -> bytes | None:
        """`<name>.secret` (0600), made the first time; None without a state directory."""
        if self.root is None:
            return None
        path = self.root / f"{name}.secret"
        if path.exists():
            return path.read_bytes()
        secret = os.urandom(DATA_KEY_BYTES)
        write_private(path, secret)
        return secret

    def log(self) -> RecordLog | None:
        return RecordLog(self.root / "issued.jsonl") if self.root else None


@dataclass
class LabPKI:
    clock: Clock
    rand: Randomness
    state_dir: Path | None = None
    tls_root: CertificateAuthority = field(init=False)
    piv: Hierarchy = field(init=False)
    derived: dict[str, Hierarchy] = field(init=False, default_factory=dict)
    #: What the CAs issue while the PKI is built and servers start (with a state directory).
    log: RecordLog | None = field(init=False, default=None, repr=False)
    _secrets: dict[str, bytes] = field(init=False, default_factory=dict, repr=False)

    @classmethod
    def create(
        cls,
        clock: Clock,
        rand: Randomness,
        issuers: tuple[str, ...] = ("entrust",),
        state_dir: Path | None = None,
    ) -> LabPKI:
        pki = cls(clock, rand, state_dir)
        store = _KeyCache(state_dir / "pki" if state_dir else None)
        pki.log = store.log()
        pki.tls_root = pki._root(store, "tls-root", Subject("dcemu Lab TLS Root CA"))
        pki.piv = pki._hierarchy(
            store, "piv", "dcemu PIV Card", "PIV card issuing CA", PIV_CA_POLICIES
        )
        for name in issuers:
            pki.add_issuer(name, store)
        return pki

    def add_issuer(self, name: str, store: _KeyCache | None = None) -> Hierarchy:
        if name not in self.derived:
            store = store or _KeyCache(self.state_dir / "pki" if self.state_dir else None)
            self.derived[name] = self._hierarchy(
                store,
                f"derived-{name}",
                f"dcemu {name.title()} Derived",
                f"{name.title()} derived PIV CA",
                DERIVED_CA_POLICIES,
            )
        return self.derived[name]

    def data_key(self, name: str) -> bytes:
        """A 256-bit secret named `name`: in the state directory's `pki/` (0600, made the
        first time), or made for this PKI's lifetime without one."""
        if name not in self._secrets:
            kept = _KeyCache(self.state_dir / "pki" if self.state_dir else None).secret(name)
            self._secrets[name] = kept or os.urandom(DATA_KEY_BYTES)
        return self._secrets[name]

    def _attach_log(self, ca: CertificateAuthority) -> CertificateAuthority:
        if self.log is not None:
            ca.attach(self.log)
        return ca

    def _root(self, store: _KeyCache, name: str, subject: Subject) -> CertificateAuthority:
        key = store.key(name, CA_KEY)
        ca = self_signed_root(name, key, subject, cp.ROOT_CA, self.clock, self.rand)
        cached = store.cert(name)
        if cached is not None and cached.public_key() == key.public_key():
            ca.cert = cached
        else:
            store.save_cert(name, ca.cert)
        return self._attach_log(ca)

    def _child_ca(
        self,
        store: _KeyCache,
        name: str,
        parent: CertificateAuthority,
        subject: Subject,
        policies: tuple[x509.ObjectIdentifier, ...],
    ) -> CertificateAuthority:
        key = store.key(name, CA_KEY)
        cert = store.cert(name)
        if (
            cert is None
            or cert.public_key() != key.public_key()
            or cert.issuer != parent.cert.subject
        ):
            cert = parent.issue(
                key.public_key(), subject, replace(cp.ISSUING_CA, policies=policies)
            )
            store.save_cert(name, cert)
        else:
            _known(parent, cert, cp.ISSUING_CA.name)
        ca = CertificateAuthority(name, key, cert, parent.chain, self.clock, self.rand.child(name))
        return self._attach_log(ca)

    def _hierarchy(
        self,
        store: _KeyCache,
        label: str,
        org: str,
        issuing_cn: str,
        policies: tuple[x509.ObjectIdentifier, ...],
    ) -> Hierarchy:
        root = self._root(store, f"{label}-root", Subject(f"{org} Root CA", organization=org))
        issuing = self._child_ca(
            store, f"{label}-issuing", root, Subject(issuing_cn, organization=org), policies
        )
        key = store.key(f"{label}-ocsp", CA_KEY)
        cert = store.cert(f"{label}-ocsp")
        if (
            cert is None
            or cert.public_key() != key.public_key()
            or cert.issuer != issuing.cert.subject
        ):
            cert = issuing.issue(
                key.public_key(),
                Subject(f"{issuing_cn} OCSP Responder", organization=org),
                cp.OCSP_RESPONDER,
            )
            store.save_cert(f"{label}-ocsp", cert)
        else:
            _known(issuing, cert, cp.OCSP_RESPONDER.name)
        return Hierarchy(label, root, issuing, OcspResponder(issuing, key, cert))

    def server_credential(
        self,
        common_name: str,
        dns_names: tuple[str, ...] = LOOPBACK_NAMES,
        ip_addresses: tuple[str, ...] = LOOPBACK_IPS,
    ) -> ServerCredential:
        """An HTTPS certificate for a loopback server, issued by the lab TLS root."""
        key = generate_key(CA_KEY)
        subject = Subject(common_name, dns_names=dns_names, ip_addresses=ip_addresses)
        cert = self.tls_root.issue(key.public_key(), subject, cp.TLS_SERVER)
        return ServerCredential(cert, key, [cert, self.tls_root.cert])


def _known(ca: CertificateAuthority, cert: x509.Certificate, profile: str) -> None:
    """A certificate `ca` issued in an earlier run (kept in `pki/`): its serial stays taken."""
    if cert.serial_number not in ca.issued:
        ca.issued[cert.serial_number] = IssuedCert(cert, profile)
