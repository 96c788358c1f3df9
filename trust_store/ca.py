"""A certificate authority: issues certificates after a profile, records them, revokes them
and produces CRLs. OCSP answers are in `ocsp.py`.

A CA keeps its records in memory; `attach` gives it a `RecordStore` (a service's storage, or
the lab PKI's log) that it loads them from and writes every change to: an issuance, a
revocation, the number of each new CRL. A serial number is drawn again while it is one this CA
already used, so a seeded stream that starts over after a restart never repeats one.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtensionOID

from . import oids
from .certprofiles import CertProfile, Subject
from .clock import Clock, isoformat, parse_iso
from .errors import TrustStoreError
from .keys import PrivateKey, PublicKey, check_public_key, hash_for
from .randomness import Randomness
from .records import RecordStore

#: Collections of a `RecordStore`: each CA's certificates by serial (hex), under
#: `issued/<CA name>`, and the last CRL number of each CA, by CA name.
ISSUED_PREFIX = "issued/"
CRL_NUMBERS = "crl-numbers"

#: How far back `notBefore` is set, to tolerate clock skew between emulated parties.
BACKDATE = dt.timedelta(minutes=5)


class CertStatus(StrEnum):
    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass
class IssuedCert:
    cert: x509.Certificate
    profile: str
    revoked_at: dt.datetime | None = None
    reason: x509.ReasonFlags | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "der": base64.b64encode(self.cert.public_bytes(Encoding.DER)).decode(),
            "profile": self.profile,
            "revokedAt": None if self.revoked_at is None else isoformat(self.revoked_at),
            "reason": None if self.reason is None else self.reason.value,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> IssuedCert:
        revoked_at, reason = doc.get("revokedAt"), doc.get("reason")
        return cls(
            x509.load_der_x509_certificate(base64.b64decode(doc["der"])),
            str(doc["profile"]),
            None if revoked_at is None else parse_iso(revoked_at),
            None if reason is None else x509.ReasonFlags(reason),
        )


@dataclass
class RevocationUrls:
    """Where relying parties find this CA's OCSP responder, its CRL and its own certificate
    (AIA caIssuers), set once servers bind. `http_base`: the CA's plain-HTTP listener
    (`http://host:port`), which the pointers prefer when it is set (the FPKI profiles expect
    http:// for CRL distribution points, OCSP and caIssuers)."""

    ocsp: str | None = None
    crl: str | None = None
    ca_issuers: str | None = None
    http_base: str | None = None


class IssuanceError(TrustStoreError):
    """A certificate request breaks its profile's rules."""


@dataclass
class CertificateAuthority:
    name: str
    key: PrivateKey
    cert: x509.Certificate
    #: The certificates above this one, nearest first, ending with the root (empty for a root).
    parents: list[x509.Certificate]
    clock: Clock
    rand: Randomness
    urls: RevocationUrls = field(default_factory=RevocationUrls)
    issued: dict[int, IssuedCert] = field(default_factory=dict)
    #: Where every change to `issued` and each CRL number is written (`attach`); None: memory.
    records: RecordStore | None = field(default=None, repr=False)
    #: The number of the last CRL made here (RFC 5280 5.2.3: each new one is greater).
    crl_number: int = 0

    @property
    def issued_collection(self) -> str:
        return ISSUED_PREFIX + self.name

    def attach(self, records: RecordStore) -> None:
        """Load what `records` holds of this CA (a restart: every certificate issued before
        keeps its status, its serial stays taken, CRL numbers go on) and write every change
        there from now on."""
        for doc in records.load(self.issued_collection).values():
            rec = IssuedCert.from_json(doc)
            self.issued[rec.cert.serial_number] = rec
        last = records.get(CRL_NUMBERS, self.name)
        if last is not None:
            self.crl_number = max(self.crl_number, int(last["number"]))
        self.records = records

    def record(self, rec: IssuedCert) -> None:
        """Keep `rec` (a certificate this CA issued, or one found issued by it)."""
        self.issued[rec.cert.serial_number] = rec
        if self.records is not None:
            self.records.put(self.issued_collection, f"{rec.cert.serial_number:x}", rec.to_json())

    def new_serial(self) -> int:
        """A serial number this CA has not used (drawn again while taken)."""
        serial = self.rand.serial()
        while serial in self.issued or serial == self.cert.serial_number:
            serial = self.rand.serial()
        return serial

    @property
    def chain(self) -> list[x509.Certificate]:
        """This CA's certificate and those above it (what a leaf's holder sends with it)."""
        return [self.cert, *self.parents]

    @property
    def root(self) -> x509.Certificate:
        return self.parents[-1] if self.parents else self.cert

    def issue(
        self,
        public_key: PublicKey,
        subject: Subject,
        profile: CertProfile,
        *,
        validity: dt.timedelta | None = None,
    ) -> x509.Certificate:
        public_key = check_public_key(public_key)
        validity = validity or profile.validity
        if profile.max_validity is not None and validity > profile.max_validity:
            raise IssuanceError(
                f"{profile.name}: validity {validity.days} days exceeds the "
                f"{profile.max_validity.days}-day maximum"
            )
        now = self.clock.now()
        not_after = min(now + validity, self.cert.not_valid_after_utc)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject.name())
            .issuer_name(self.cert.subject)
            .public_key(public_key)
            .serial_number(self.new_serial())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(not_after)
        )
        for ext, critical in self._extensions(public_key, subject, profile):
            builder = builder.add_extension(ext, critical=critical)
        cert = builder.sign(self.key, hash_for(self.key))
        self.record(IssuedCert(cert, profile.name))
        return cert

    def _extensions(
        self, public_key: PublicKey, subject: Subject, profile: CertProfile
    ) -> list[tuple[x509.ExtensionType, bool]]:
        exts: list[tuple[x509.ExtensionType, bool]] = [
            (x509.BasicConstraints(ca=profile.ca, path_length=profile.path_length), True),
            (profile.key_usage_extension(), True),
            (x509.SubjectKeyIdentifier.from_public_key(public_key), False),
            (self._authority_key_id(), False),
        ]
        if profile.ekus:
            exts.append((x509.ExtendedKeyUsage(list(profile.ekus)), False))
        if profile.policies:
            exts.append(
                (
                    x509.CertificatePolicies(
                        [x509.PolicyInformation(p, None) for p in profile.policies]
                    ),
                    False,
                )
            )
        if profile.alt_names:
            names = subject.alt_names()
            if names:
                exts.append((x509.SubjectAlternativeName(names), False))
        if profile.piv_interim:
            # BOOLEAN FALSE: the card/credential is not an interim one.
            exts.append((x509.UnrecognizedExtension(oids.PIV_INTERIM, b"\x01\x01\x00"), False))
        if profile.ocsp_no_check:
            exts.append((x509.OCSPNoCheck(), False))
        access = [
            x509.AccessDescription(method, x509.UniformResourceIdentifier(url))
            for method, url in (
                (x509.oid.AuthorityInformationAccessOID.OCSP, self.urls.ocsp),
                (x509.oid.AuthorityInformationAccessOID.CA_ISSUERS, self.urls.ca_issuers),
            )
            if url
        ]
        if profile.revocation_pointers and access:
            exts.append((x509.AuthorityInformationAccess(access), False))
        if profile.revocation_pointers and self.urls.crl:
            exts.append(
                (
                    x509.CRLDistributionPoints(
                        [
                            x509.DistributionPoint(
                                [x509.UniformResourceIdentifier(self.urls.crl)], None, None, None
                            )
                        ]
                    ),
                    False,
                )
            )
        return exts

    def _authority_key_id(self) -> x509.AuthorityKeyIdentifier:
        try:
            ski = self.cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_KEY_IDENTIFIER)
            return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                ski.value  # type: ignore[arg-type]
            )
        except x509.ExtensionNotFound:
            return x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key())

    # --- status ---------------------------------------------------------------------------
    def revoke(
        self, serial: int, reason: x509.ReasonFlags = x509.ReasonFlags.unspecified
    ) -> IssuedCert:
        rec = self.issued.get(serial)
        if rec is None:
            raise IssuanceError(
                f"{self.name}: no certificate with serial {serial:x} was issued here"
            )
        if rec.revoked_at is None:
            rec.revoked_at = self.clock.now()
            rec.reason = reason
            self.record(rec)
        return rec

    def status(self, serial: int) -> CertStatus:
        rec = self.issued.get(serial)
        if rec is None:
            return CertStatus.UNKNOWN
        return CertStatus.REVOKED if rec.revoked_at else CertStatus.GOOD

    def crl(
        self, next_update: dt.timedelta = dt.timedelta(days=1)
    ) -> x509.CertificateRevocationList:
        now = self.clock.now()
        self.crl_number += 1
        if self.records is not None:
            self.records.put(CRL_NUMBERS, self.name, {"number": self.crl_number})
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.cert.subject)
            .last_update(now)
            .next_update(now + next_update)
            .add_extension(self._authority_key_id(), critical=False)
            .add_extension(x509.CRLNumber(self.crl_number), critical=False)
        )
        for serial, rec in self.issued.items():
            if rec.revoked_at is None:
                continue
            entry = (
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(rec.revoked_at)
            )
            if rec.reason and rec.reason is not x509.ReasonFlags.unspecified:
                entry = entry.add_extension(x509.CRLReason(rec.reason), critical=False)
            builder = builder.add_revoked_certificate(entry.build())
        return builder.sign(self.key, hash_for(self.key))


def self_signed_root(
    name: str,
    key: PrivateKey,
    subject: Subject,
    profile: CertProfile,
    clock: Clock,
    rand: Randomness,
) -> CertificateAuthority:
    now = clock.now()
    pub = key.public_key()
    ski = x509.SubjectKeyIdentifier.from_public_key(pub)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject.name())
        .issuer_name(subject.name())
        .public_key(pub)
        .serial_number(rand.serial())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + profile.validity)
        .add_extension(
            x509.BasicConstraints(ca=True, path_length=profile.path_length), critical=True
        )
        .add_extension(profile.key_usage_extension(), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, hash_for(key))
    )
    return CertificateAuthority(name, key, cert, [], clock, rand)
