"""One issuer server's state and collaborators, built by the app factory and rebuilt from its
storage: its CA's records (`issued/<CA>`, `crl-numbers`), `enrollments`, `sessions` and `people`
(what each holds: the stores' docstrings)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from cryptography import x509

from servicekit.storage import MemoryStorage, Storage
from trust_store.clock import Clock
from trust_store.labpki import Hierarchy, LabPKI
from trust_store.randomness import Randomness

from ..settings import IssuerSettings
from .base import Issuer
from .cardcheck import CardVerifier
from .device_credential import CredentialGate
from .docs import lookup_in
from .enrollment_index import EnrollmentStore
from .enrollment_state import Enrollment
from .people import PeopleDirectory
from .pipeline import (
    ApplyProfile,
    CheckKeyStrength,
    ParseCsr,
    Pipeline,
    Sign,
    SubjectFromCard,
    VerifyPossession,
    standard_pipeline,
)
from .reissue import NewKey, Reissuer
from .sessions import SessionStore
from .upstream import Upstream


@dataclass
class IssuerService:
    issuer: Issuer
    settings: IssuerSettings
    pki: LabPKI
    clock: Clock
    rand: Randomness
    #: Where its state is kept (memory unless the lab gives one).
    storage: Storage = field(default_factory=MemoryStorage, repr=False)
    hierarchy: Hierarchy = field(init=False)
    upstream: Upstream = field(init=False)
    verifier: CardVerifier = field(init=False)
    sessions: SessionStore = field(init=False)
    enrollments: EnrollmentStore = field(init=False)
    people: PeopleDirectory = field(init=False)
    pipeline: Pipeline = field(init=False)
    gate: CredentialGate = field(init=False)
    #: Automatic re-key; None for issuers that do not re-key (their routes are absent).
    reissuer: Reissuer | None = field(init=False)

    def __post_init__(self) -> None:
        self.hierarchy = self.pki.add_issuer(self.issuer.name)
        ca = self.hierarchy.issuing
        ca.attach(self.storage)  # first: the enrollments refer to its certificates
        self.upstream = Upstream(
            [self.pki.tls_root.cert],
            self.pki.server_credential(self.issuer.name),
            self.settings.upstream_timeout,
        )
        self.verifier = CardVerifier(self.pki.piv, self.upstream, self.clock, self.rand)
        self.sessions = SessionStore(self.rand, self.storage, now=self.clock.now())
        self.enrollments = EnrollmentStore(self.rand, self.storage, lookup_in(ca))
        self.people = PeopleDirectory(self.storage)
        self.pipeline = standard_pipeline(
            self.verifier,
            self.hierarchy.issuing,
            self.settings.public_url,
            self.credential_lifetime,
            self.enrollments,
            self.people,
        )
        self.gate = CredentialGate(self.hierarchy, self.enrollments)
        self.reissuer = self._reissuer()

    def _reissuer(self) -> Reissuer | None:
        window = self.rekey_window
        if window is None:
            return None
        if window >= self.credential_lifetime:
            raise ValueError(
                f"{self.issuer.name}: the re-key window ({window}) must be shorter than the "
                f"credential lifetime ({self.credential_lifetime})"
            )
        return Reissuer(
            self.issuer,
            self.enrollments,
            self.people,
            self.hierarchy.issuing,
            self.gate,
            window,
            checks=(
                ParseCsr(),
                VerifyPossession(),
                CheckKeyStrength(),
                NewKey(),
                SubjectFromCard(self.people),
                ApplyProfile(self.credential_lifetime),
            ),
            sign=Sign(self.hierarchy.issuing, self.settings.public_url),
        )

    @property
    def token_lifetime(self) -> dt.timedelta:
        return self.settings.token_lifetime or self.issuer.token_lifetime

    @property
    def credential_lifetime(self) -> dt.timedelta:
        return self.settings.credential_lifetime or self.issuer.credential_lifetime

    @property
    def rekey_window(self) -> dt.timedelta | None:
        """How long before expiry a credential is re-keyed; None if this issuer does not."""
        if not self.issuer.auto_rekey:
            if self.settings.rekey_before_expiry is not None:
                raise ValueError(f"{self.issuer.name} does not re-key credentials automatically")
            return None
        return self.settings.rekey_before_expiry or self.issuer.rekey_before_expiry

    @property
    def ca_chain(self) -> list[x509.Certificate]:
        """Issuing CA, then root."""
        return self.hierarchy.issuing.chain

    def revoke(self, enrollments: list[Enrollment], reason: x509.ReasonFlags) -> list[int]:
        serials = [c.serial_number for e in enrollments for c in e.issued.values()]
        for serial in serials:
            self.hierarchy.issuing.revoke(serial, reason)
        return serials

    def enrollments_of_card(self, card_uuid: uuid.UUID) -> list[Enrollment]:
        return [e for e in self.enrollments if e.holder.card_uuid == card_uuid]

    def snapshot(self) -> dict[str, Any]:
        """What a refused request must leave unchanged (the tests compare it)."""
        ca = self.hierarchy.issuing
        return {
            "sessions": len(self.sessions),
            "enrollments": sorted(e.snapshot() for e in self.enrollments),
            "issued": len(ca.issued),
            "revoked": sorted(s for s, r in ca.issued.items() if r.revoked_at is not None),
            "people": self.people.snapshot(),
        }

    def reset(self) -> None:
        self.sessions.clear()
        self.enrollments.clear()
        self.people.clear()

    async def close(self) -> None:
        await self.upstream.close()


ISSUER_SERVICE = web.AppKey("issuer_service", IssuerService)
