"""Every enrollment of one issuer, indexed by id, activation token, device access token and the
serial numbers of every certificate it issued (current or superseded by a re-key)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from cryptography import x509

from servicekit.problems import NotFound, Unauthorized
from trust_store.randomness import Randomness

from .base import Issuer
from .enrollment_state import DeviceInfo, Enrollment
from .holder import CardHolder

ID_BYTES = 12
ACCESS_TOKEN_BYTES = 32


class EnrollmentStore:
    def __init__(self, rand: Randomness) -> None:
        self.rand = rand
        self._by_id: dict[str, Enrollment] = {}
        self._by_token: dict[str, Enrollment] = {}
        self._by_access: dict[str, Enrollment] = {}
        self._by_serial: dict[int, Enrollment] = {}

    def create(
        self, issuer: Issuer, holder: CardHolder, now: dt.datetime, lifetime: dt.timedelta
    ) -> Enrollment:
        token = self._fresh(self._by_token, issuer.token_bytes)
        enrollment = Enrollment(
            id=self._fresh(self._by_id, ID_BYTES),
            token=token,
            password=self.rand.digits(issuer.password_length) if issuer.password_required else None,
            holder=holder,
            created_at=now,
            expires_at=now + lifetime,
            kinds=tuple(p.kind for p in issuer.products),
        )
        self._by_id[enrollment.id] = enrollment
        self._by_token[token] = enrollment
        return enrollment

    def _fresh(self, index: dict[str, Enrollment], n: int) -> str:
        while True:
            value = self.rand.token_urlsafe(n)
            if value not in index:
                return value

    def of_holder(self, enrollment_id: str, holder: CardHolder) -> Enrollment:
        """The holder's own enrollment; another user's looks exactly like a missing one."""
        enrollment = self._by_id.get(enrollment_id)
        if enrollment is None or enrollment.holder.card_uuid != holder.card_uuid:
            raise NotFound(f"no enrollment {enrollment_id!r} for this user")
        return enrollment

    def get(self, enrollment_id: str) -> Enrollment:
        enrollment = self._by_id.get(enrollment_id)
        if enrollment is None:
            raise NotFound(f"no enrollment {enrollment_id!r}")
        return enrollment

    def by_token(self, token: str) -> Enrollment | None:
        return self._by_token.get(token)

    def activate(
        self,
        enrollment: Enrollment,
        device: DeviceInfo,
        now: dt.datetime,
        lifetime: dt.timedelta,
        activation_key: str | None = None,
    ) -> None:
        access = self._fresh(self._by_access, ACCESS_TOKEN_BYTES)
        enrollment.activate(device, access, now + lifetime, activation_key)
        self._by_access[access] = enrollment

    def by_access_token(self, token: str, now: dt.datetime) -> Enrollment:
        enrollment = self._by_access.get(token)
        if enrollment is None:
            raise Unauthorized("unknown device access token")
        if enrollment.access_expires_at is None or now >= enrollment.access_expires_at:
            raise Unauthorized("the device access token has expired")
        return enrollment

    def record_issued(self, enrollment: Enrollment, kind: str, cert: x509.Certificate) -> None:
        enrollment.record_issued(kind, cert)
        self._by_serial[cert.serial_number] = enrollment

    def record_rekey(
        self, enrollment: Enrollment, certs: dict[str, x509.Certificate], reason: str = ""
    ) -> list[x509.Certificate]:
        """Swap in the re-keyed certificates; return the superseded ones."""
        old = enrollment.rekey(certs, reason)
        for cert in certs.values():
            self._by_serial[cert.serial_number] = enrollment
        return old

    def by_serial(self, serial: int) -> Enrollment | None:
        """The enrollment that issued the certificate with this serial (current or not)."""
        return self._by_serial.get(serial)

    def of_upn(self, upn: str) -> list[Enrollment]:
        return [e for e in self._by_id.values() if e.holder.same_user(upn)]

    def __iter__(self) -> Iterator[Enrollment]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def clear(self) -> None:
        self._by_id.clear()
        self._by_token.clear()
        self._by_access.clear()
        self._by_serial.clear()
