"""When and why a still-valid derived credential is re-keyed (Intercede MyID's automatic
renewal): from `notAfter - window` on (28 days by default), or at once when the person's DN or
email at the issuer no longer matches the certificate. Pure functions of the certificate, the
subject the issuer would issue now, the clock and the window; nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cryptography import x509

from trust_store.certprofiles import Subject
from trust_store.clock import isoformat

from .enrollment_state import Enrollment, State


class RekeyReason(StrEnum):
    EXPIRY = "expiry"
    SUBJECT_CHANGED = "subject-changed"

    @property
    def revocation_reason(self) -> x509.ReasonFlags:
        """RFC 5280 reason for the certificates a re-key supersedes."""
        if self is RekeyReason.SUBJECT_CHANGED:
            return x509.ReasonFlags.affiliation_changed
        return x509.ReasonFlags.superseded


def rekey_at(not_after: dt.datetime, window: dt.timedelta) -> dt.datetime:
    """The first instant at which a credential expiring at `not_after` is due."""
    return not_after - window


def expiry_due(now: dt.datetime, not_after: dt.datetime, window: dt.timedelta) -> bool:
    return now >= rekey_at(not_after, window)


def _emails(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return sorted(san.get_values_for_type(x509.RFC822Name))


def subject_changed(cert: x509.Certificate, expected: Subject) -> bool:
    """Whether the certificate's DN or email differs from what the issuer would issue now."""
    emails = [expected.email] if expected.email else []
    return cert.subject != expected.name() or _emails(cert) != emails


@dataclass(frozen=True)
class RekeyStatus:
    reason: RekeyReason | None
    not_after: dt.datetime
    due_at: dt.datetime

    @property
    def due(self) -> bool:
        return self.reason is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "rekeyDue": self.due,
            "reason": None if self.reason is None else self.reason.value,
            "notAfter": isoformat(self.not_after),
            "rekeyAt": isoformat(self.due_at),
        }


def rekey_status(
    enrollment: Enrollment, expected: Subject, now: dt.datetime, window: dt.timedelta
) -> RekeyStatus:
    """Due for a changed subject (it takes precedence: it also decides the revocation reason),
    else for expiry once the earliest current certificate is within `window` of its end. Only a
    credential whose every certificate was issued is ever due."""
    certs = list(enrollment.issued.values())
    if not certs:
        raise ValueError(f"enrollment {enrollment.id} holds no certificate to re-key")
    not_after = min(c.not_valid_after_utc for c in certs)
    reason = None
    if enrollment.state is State.ISSUED:
        if any(subject_changed(c, expected) for c in certs):
            reason = RekeyReason.SUBJECT_CHANGED
        elif expiry_due(now, not_after, window):
            reason = RekeyReason.EXPIRY
    return RekeyStatus(reason, not_after, rekey_at(not_after, window))
