"""A device authenticated by its current derived credential: the TLS client certificate must be
exactly a derived PIV Authentication certificate this issuer's CA issued to an enrollment, still
valid on the lab clock, chaining to the issuer's derived root with the derived-PIV policy, not
revoked, and not superseded by a re-key.

The TLS layer accepts any lab hierarchy (so a foreign certificate reaches this check and gets a
problem document); it also checks validity against the real clock, which the lab clock may be
ahead of: only the checks here use lab time.

`authenticate` never awaits, so a handler can call it again right before a mutation and know
that nothing changed in between.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509

from trust_store import validation
from trust_store.ca import CertStatus
from trust_store.errors import ChainValidationError
from trust_store.labpki import Hierarchy
from trust_store.oids import DERIVED_PIV_AUTH, EKU_CLIENT_AUTH

from ..kinds import (
    AlreadyRekeyed,
    CredentialExpired,
    CredentialRequired,
    CredentialRevoked,
    CredentialUntrusted,
)
from .base import PIV_AUTHENTICATION
from .enrollment_index import EnrollmentStore
from .enrollment_state import Enrollment


@dataclass(frozen=True)
class DeviceCredential:
    """Who is asking: the enrollment and the certificate it authenticated with."""

    enrollment: Enrollment
    cert: x509.Certificate


@dataclass(frozen=True)
class CredentialGate:
    hierarchy: Hierarchy
    enrollments: EnrollmentStore

    def authenticate(self, cert: x509.Certificate | None, now: dt.datetime) -> DeviceCredential:
        if cert is None:
            raise CredentialRequired(
                "authenticate with the derived PIV Authentication credential (TLS client "
                "certificate); none was sent"
            )
        enrollment = self._enrollment_of(cert)
        if not enrollment.is_current(cert):
            raise AlreadyRekeyed(
                "this credential was re-keyed; the device holds its successor",
                generation=enrollment.generation,
            )
        if now > cert.not_valid_after_utc:
            raise CredentialExpired(
                "the derived credential has expired; enroll again with the PIV card"
            )
        try:
            validation.validate_chain(
                cert,
                self.hierarchy.intermediates,
                self.hierarchy.anchors,
                now,
                eku=EKU_CLIENT_AUTH,
                policies=[DERIVED_PIV_AUTH],
            )
        except ChainValidationError as e:
            raise CredentialUntrusted(f"the derived credential does not validate: {e}") from e
        if self.hierarchy.issuing.status(cert.serial_number) is CertStatus.REVOKED:
            raise CredentialRevoked("the derived credential is revoked")
        return DeviceCredential(enrollment, cert)

    def _enrollment_of(self, cert: x509.Certificate) -> Enrollment:
        """The enrollment whose derived PIV Authentication certificate this exactly is."""
        issued = self.hierarchy.issuing.issued.get(cert.serial_number)
        enrollment = self.enrollments.by_serial(cert.serial_number)
        if issued is None or issued.cert != cert or enrollment is None:
            raise CredentialUntrusted(
                "not a derived credential this issuer issued (another issuer's, a card's, or "
                "an unknown certificate)"
            )
        if issued.profile != PIV_AUTHENTICATION.profile.name:
            raise CredentialUntrusted(
                f"a {issued.profile} certificate cannot authenticate; use the derived PIV "
                "Authentication credential"
            )
        return enrollment
