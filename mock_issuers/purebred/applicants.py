"""Applicants: the people a registration agent is enrolling, as the console knows them.

The agent looks the applicant up by the PIV Authentication certificate read from the card the
applicant presents at the desk (certificates are public; reading them needs no PIN). The
server validates that certificate (chain to the PIV root, OCSP) exactly as at a card sign-in,
so the applicant's name, UPN and card UUID come from the card, never from what anyone types.
The agent then confirms, in person, that the card is the applicant's (`confirm`).

Applicants are kept in the server's storage (collection `applicants`, by card UUID): the card
certificate they were identified by, who identified and confirmed them, and when.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from servicekit.problems import NotFound
from trust_store.clock import isoformat, parse_iso

from ..issuer.docs import holder_doc, holder_from_doc, time_doc, time_from_doc
from ..issuer.holder import CardHolder
from ..persistence import Storage, storage_or_memory

APPLICANTS = "applicants"


class ApplicantStatus(StrEnum):
    IDENTIFIED = "identified"
    CONFIRMED = "confirmed"


@dataclass
class Applicant:
    holder: CardHolder
    identified_by: str
    identified_at: dt.datetime
    status: ApplicantStatus = ApplicantStatus.IDENTIFIED
    confirmed_by: str | None = None
    confirmed_at: dt.datetime | None = None

    @property
    def id(self) -> str:
        return str(self.holder.card_uuid)

    @property
    def confirmed(self) -> bool:
        return self.status is ApplicantStatus.CONFIRMED

    def confirm(self, agent: str, now: dt.datetime) -> None:
        if not self.confirmed:
            self.status, self.confirmed_by, self.confirmed_at = (
                ApplicantStatus.CONFIRMED,
                agent,
                now,
            )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "user": self.holder.to_json(),
            "status": self.status.value,
            "identifiedBy": self.identified_by,
            "identifiedAt": isoformat(self.identified_at),
            "confirmedBy": self.confirmed_by,
        }

    def to_doc(self) -> dict[str, Any]:
        return {
            "card": holder_doc(self.holder),
            "identifiedBy": self.identified_by,
            "identifiedAt": isoformat(self.identified_at),
            "status": self.status.value,
            "confirmedBy": self.confirmed_by,
            "confirmedAt": time_doc(self.confirmed_at),
        }

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> Applicant:
        return cls(
            holder_from_doc(d["card"]),
            d["identifiedBy"],
            parse_iso(d["identifiedAt"]),
            ApplicantStatus(d["status"]),
            d["confirmedBy"],
            time_from_doc(d["confirmedAt"]),
        )


class ApplicantStore:
    def __init__(self, storage: Storage | None = None) -> None:
        self.storage = storage_or_memory(storage)
        self._by_uuid: dict[uuid.UUID, Applicant] = {}
        for doc in self.storage.load(APPLICANTS).values():
            applicant = Applicant.from_doc(doc)
            self._by_uuid[applicant.holder.card_uuid] = applicant

    def _save(self, applicant: Applicant) -> None:
        self.storage.put(APPLICANTS, applicant.id, applicant.to_doc())

    def identify(self, holder: CardHolder, agent: str, now: dt.datetime) -> tuple[Applicant, bool]:
        """The applicant record of this card, and whether it is new."""
        existing = self._by_uuid.get(holder.card_uuid)
        if existing is not None:
            return existing, False
        applicant = Applicant(holder, agent, now)
        self._by_uuid[holder.card_uuid] = applicant
        self._save(applicant)
        return applicant, True

    def confirm(self, applicant: Applicant, agent: str, now: dt.datetime) -> None:
        """The agent has checked, in person, that the card is the applicant's."""
        if not applicant.confirmed:
            applicant.confirm(agent, now)
            self._save(applicant)

    def get(self, applicant_id: str) -> Applicant:
        try:
            key = uuid.UUID(applicant_id)
        except ValueError:
            raise NotFound(f"no applicant {applicant_id!r}") from None
        applicant = self._by_uuid.get(key)
        if applicant is None:
            raise NotFound(f"no applicant {applicant_id!r}; look them up by their card first")
        return applicant

    def __iter__(self) -> Iterator[Applicant]:
        return iter(self._by_uuid.values())

    def clear(self) -> None:
        self._by_uuid.clear()
        self.storage.clear(APPLICANTS)
