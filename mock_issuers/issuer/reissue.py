"""Re-key issuance: new certificates for every kind the enrollment holds, from keys the device
generated anew, then the superseded certificates revoked.

    handler (may await):   authenticate -> read the CSRs -> card still good (OCSP)
    `Reissuer.run` (never awaits):
        authenticate again (a concurrent re-key may have won) -> due?
        -> for EVERY kind: parse CSR, proof of possession, key strength, new key, subject,
           profile                                       (read only: a refusal changes nothing)
        -> sign each -> swap the enrollment's certificates -> revoke the superseded ones

The issuance steps are the standard pipeline's (`pipeline.py`), run over all kinds before any
is signed, so one bad CSR refuses the whole request with no state change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from servicekit.problems import BadRequest
from trust_store.ca import CertificateAuthority

from ..csr import parse_csr, verify_possession
from ..kinds import CsrInvalid, RekeyNotDue
from ..wire import b64decode, get_obj, get_str
from .base import Issuer
from .device_credential import CredentialGate
from .enrollment_index import EnrollmentStore
from .enrollment_state import Enrollment
from .people import PeopleDirectory
from .pipeline import IssuanceContext, Sign, Step, need
from .rekey import RekeyReason, RekeyStatus, rekey_status

#: Base64 of a PKCS#10 with an RSA-4096 key is about 1.6 KB; the body limit applies too.
MAX_CSR_B64 = 8192


@dataclass(frozen=True)
class RekeyRequest:
    """`POST /device/v1/credential/rekey`: `{"csrs": {kind: base64 DER PKCS#10}}`, exactly the
    kinds the enrollment holds."""

    csrs: dict[str, bytes]

    @classmethod
    def from_json(cls, body: dict[str, Any], kinds: Sequence[str]) -> RekeyRequest:
        raw = get_obj(body, "csrs")
        missing, extra = sorted(set(kinds) - set(raw)), sorted(set(raw) - set(kinds))
        if missing or extra:
            raise BadRequest(
                f"csrs must hold exactly {sorted(kinds)} (missing {missing}, unexpected {extra})"
            )
        return cls(
            {k: b64decode(get_str(raw, k, max_len=MAX_CSR_B64), f"the {k} CSR") for k in kinds}
        )


class NewKey:
    """A re-key needs a new key pair: refuse a CSR for the key being replaced."""

    def run(self, ctx: IssuanceContext) -> None:
        old = ctx.enrollment.issued[ctx.product.kind]
        if need(ctx.public_key, "the public key") == old.public_key():
            raise CsrInvalid(
                f"the {ctx.product.kind} CSR reuses the current key; re-key needs a new one"
            )


@dataclass(frozen=True)
class Rekeyed:
    enrollment: Enrollment
    reason: RekeyReason
    certificates: dict[str, x509.Certificate]
    revoked: list[int]


@dataclass(frozen=True)
class Reissuer:
    issuer: Issuer
    store: EnrollmentStore
    people: PeopleDirectory
    ca: CertificateAuthority
    gate: CredentialGate
    window: dt.timedelta
    #: Read-only steps run for every kind (from the standard pipeline, plus `NewKey`).
    checks: Sequence[Step]
    sign: Sign

    def run(self, cert: x509.Certificate, request: RekeyRequest, now: dt.datetime) -> Rekeyed:
        # Authenticate again: the handler awaited since, and a concurrent re-key may have won.
        enrollment = self.gate.authenticate(cert, now).enrollment
        status = self.status(enrollment, now)
        if status.reason is None:
            raise RekeyNotDue("the credential is not due for re-key", **status.to_json())
        contexts = [
            IssuanceContext(enrollment, self.issuer.product(kind), der, now)
            for kind, der in request.csrs.items()
        ]
        for ctx in contexts:
            for step in self.checks:
                step.run(ctx)
        # From here on every request is good: sign all, then swap and revoke.
        for ctx in contexts:
            self.sign.run(ctx)
        new = {ctx.product.kind: need(ctx.cert, "the certificate") for ctx in contexts}
        old = self.store.record_rekey(enrollment, new, status.reason.value)
        for cert in old:
            self.ca.revoke(cert.serial_number, status.reason.revocation_reason)
        return Rekeyed(enrollment, status.reason, new, [c.serial_number for c in old])

    def repeat(self, cert: x509.Certificate, request: RekeyRequest) -> Rekeyed | None:
        """The device whose re-key answer was lost asks again, still holding the superseded
        credential and the new keys: it gets the same certificates (its CSRs prove it holds the
        new keys). None when this is not such a repeat."""
        enrollment = self.store.by_serial(cert.serial_number)
        if enrollment is None or cert.serial_number not in enrollment.superseded:
            return None
        for kind, der in request.csrs.items():
            csr = parse_csr(der)
            verify_possession(csr)
            current = enrollment.issued.get(kind)
            if current is None or current.public_key() != csr.public_key():
                return None
        reason = RekeyReason(enrollment.last_rekey_reason or RekeyReason.EXPIRY.value)
        return Rekeyed(enrollment, reason, dict(enrollment.issued), list(enrollment.superseded))

    def status(self, enrollment: Enrollment, now: dt.datetime) -> RekeyStatus:
        return rekey_status(
            enrollment, self.people.subject_for(enrollment.holder), now, self.window
        )
