"""Every enrollment of one issuer, indexed by id, activation token, device access token and the
serial numbers of every certificate it issued (current or superseded by a re-key).

Each enrollment is kept in the issuer's storage (collection `enrollments`, `enrollment_docs`);
every change is written with `save` as it happens, and the indexes are rebuilt from the stored
documents when the issuer starts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from cryptography import x509

from servicekit.problems import NotFound, Unauthorized
from trust_store.randomness import Randomness

from ..persistence import Storage, storage_or_memory
from .base import Issuer
from .docs import CertLookup, no_certificates
from .enrollment_docs import enrollment_from_json, enrollment_to_json
from .enrollment_state import DeviceInfo, Enrollment
from .holder import CardHolder

ID_BYTES = 12
ACCESS_TOKEN_BYTES = 32
ENROLLMENTS = "enrollments"


class EnrollmentStore:
    def __init__(
        self,
        rand: Randomness,
        storage: Storage | None = None,
        cert_of: CertLookup = no_certificates,
    ) -> None:
        self.rand = rand
        self.storage = storage_or_memory(storage)
        self._by_id: dict[str, Enrollment] = {}
        self._by_token: dict[str, Enrollment] = {}
        self._by_access: dict[str, Enrollment] = {}
        self._by_serial: dict[int, Enrollment] = {}
        for doc in self.storage.load(ENROLLMENTS).values():
            self._index(enrollment_from_json(doc, cert_of))

    def _index(self, enrollment: Enrollment) -> None:
        self._by_id[enrollment.id] = enrollment
        self._by_token[enrollment.token] = enrollment
        if enrollment.access_token is not None:
            self._by_access[enrollment.access_token] = enrollment
        for serial in enrollment.serials:
            self._by_serial[serial] = enrollment

    def save(self, enrollment: Enrollment) -> None:
        """Write the enrollment as it now is (committed with the request)."""
        self.storage.put(ENROLLMENTS, enrollment.id, enrollment_to_json(enrollment))

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
        self._index(enrollment)
        self.save(enrollment)
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
        self.save(enrollment)

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
        self.save(enrollment)

    def record_rekey(
        self, enrollment: Enrollment, certs: dict[str, x509.Certificate], reason: str = ""
    ) -> list[x509.Certificate]:
        """Swap in the re-keyed certificates; return the superseded ones."""
        old = enrollment.rekey(certs, reason)
        for cert in certs.values():
            self._by_serial[cert.serial_number] = enrollment
        self.save(enrollment)
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
        self.storage.clear(ENROLLMENTS)
