"""The issuer's directory of people: the name (DN common name) and email it now knows for a UPN,
where they differ from the card's. MyID re-keys a derived credential when either changes, and
SP 800-157 requires re-issuance (and revocation of the old certificate) when the name changes.

Nothing is stored per credential: whether a credential's subject is stale is computed by
comparing its certificate with `subject_for(holder)` (see `rekey.subject_changed`). The
directory's changes are kept in the issuer's storage (collection `people`, by folded UPN).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from servicekit.problems import BadRequest
from servicekit.text import common_name_problem, email_problem
from trust_store.certprofiles import Subject
from trust_store.clock import isoformat, parse_iso

from ..persistence import Storage, storage_or_memory
from .holder import CardHolder


def _name(value: object) -> str:
    """A new DN common name: one line, at most 64 characters and 64 UTF-8 bytes (what the
    certificate library accepts), so a stored name can always be issued."""
    if not isinstance(value, str):
        raise BadRequest("field 'name' must be a string", field="name")
    why = common_name_problem(value)
    if why is not None:
        raise BadRequest(f"field 'name' {why}", field="name")
    return value


def _email(value: object) -> str:
    if not isinstance(value, str):
        raise BadRequest("field 'email' must be a string", field="email")
    why = email_problem(value)
    if why is not None:
        raise BadRequest(f"field 'email' {why}", field="email")
    return value


@dataclass(frozen=True)
class PersonUpdate:
    """`POST /admin/people/{upn}`: a new `name`, a new `email`, or both."""

    name: str | None
    email: str | None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> PersonUpdate:
        name = None if body.get("name") is None else _name(body["name"])
        email = None if body.get("email") is None else _email(body["email"])
        if name is None and email is None:
            raise BadRequest("give a new 'name', a new 'email', or both")
        return cls(name, email)


@dataclass(frozen=True)
class Person:
    upn: str
    name: str | None
    email: str | None
    changed_at: dt.datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "upn": self.upn,
            "name": self.name,
            "email": self.email,
            "changedAt": isoformat(self.changed_at),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Person:
        return cls(d["upn"], d["name"], d["email"], parse_iso(d["changedAt"]))


PEOPLE = "people"


class PeopleDirectory:
    """Directory changes by UPN (compared case-insensitively); the card is the default."""

    def __init__(self, storage: Storage | None = None) -> None:
        self.storage = storage_or_memory(storage)
        self._people = {k: Person.from_json(d) for k, d in self.storage.load(PEOPLE).items()}

    def update(self, upn: str, change: PersonUpdate, now: dt.datetime) -> Person:
        old = self._people.get(upn.casefold())
        person = Person(
            upn,
            change.name or (old.name if old else None),
            change.email or (old.email if old else None),
            now,
        )
        self._people[upn.casefold()] = person
        self.storage.put(PEOPLE, upn.casefold(), person.to_json())
        return person

    def get(self, upn: str) -> Person | None:
        return self._people.get(upn.casefold())

    def subject_for(self, holder: CardHolder) -> Subject:
        """The derived certificates' subject: the card's, with the directory's changes."""
        subject = holder.derived_subject()
        person = self.get(holder.upn)
        if person is None:
            return subject
        return dataclasses.replace(
            subject,
            common_name=person.name or subject.common_name,
            email=person.email or subject.email,
        )

    def snapshot(self) -> list[tuple[str, str | None, str | None]]:
        return sorted((k, p.name, p.email) for k, p in self._people.items())

    def clear(self) -> None:
        self._people.clear()
        self.storage.clear(PEOPLE)
