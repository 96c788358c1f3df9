"""Who may use the console: registered Purebred agents, named by UPN (case-insensitive) or by
their card's UUID. The allow-list starts from the settings; `/admin/agents` changes it, and each
change is kept in the server's storage (collection `agents`: an entry registered or removed at
run time), replayed over the settings' list when the server starts."""

from __future__ import annotations

import re
import uuid

from servicekit.problems import BadRequest, NotFound
from servicekit.text import upn_problem

from ..issuer.holder import CardHolder
from ..persistence import Storage, storage_or_memory

AGENTS = "agents"
_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")


def normalise(entry: str) -> str:
    """A card UUID in canonical form (8-4-4-4-12 hex digits), or a UPN folded to compare
    case-insensitively. Outer whitespace, line breaks and control characters are refused, not
    stripped: what is registered is exactly what was sent."""
    if _UUID.fullmatch(entry):
        return str(uuid.UUID(entry))
    if upn_problem(entry) is not None:
        raise BadRequest(f"{entry!r:.300} is neither a UPN (name@domain) nor a card UUID")
    return entry.casefold()


class AgentRegistry:
    def __init__(self, initial: frozenset[str], storage: Storage | None = None) -> None:
        self.storage = storage_or_memory(storage)
        self._initial = frozenset(normalise(e) for e in initial)
        self._entries = set(self._initial)
        for entry, doc in self.storage.load(AGENTS).items():
            if doc["registered"]:
                self._entries.add(entry)
            else:
                self._entries.discard(entry)

    def is_registered(self, holder: CardHolder) -> bool:
        return holder.upn.casefold() in self._entries or str(holder.card_uuid) in self._entries

    def add(self, entry: str) -> str:
        value = normalise(entry)
        self._entries.add(value)
        self.storage.put(AGENTS, value, {"registered": True})
        return value

    def remove(self, entry: str) -> None:
        value = normalise(entry)
        if value not in self._entries:
            raise NotFound(f"{entry!r} is not a registered agent")
        self._entries.discard(value)
        self.storage.put(AGENTS, value, {"registered": False})

    def entries(self) -> list[str]:
        return sorted(self._entries)

    def reset(self) -> None:
        self._entries = set(self._initial)
        self.storage.clear(AGENTS)
