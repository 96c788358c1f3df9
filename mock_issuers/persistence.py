"""How a mock issuer server keeps its state: the storage it is given (`servicekit.storage`:
SQLite under `dcemu serve`'s state directory, memory otherwise) and the middleware that commits
what a request changed after its handler and before its answer.

The middleware wraps every other one (`base_app(outer=...)`), so it also commits what a refused
request changed on purpose (a wrong activation password counts) and what `/admin/reset`
cleared."""

from __future__ import annotations

from aiohttp.typedefs import Middleware

from servicekit.storage import MemoryStorage, Storage, commit_middleware

__all__ = ["Storage", "StoredStateError", "committing", "storage_or_memory"]


class StoredStateError(RuntimeError):
    """A stored record refers to something the other records do not hold (a damaged or
    foreign state directory); the server does not start on it."""


def storage_or_memory(storage: Storage | None) -> Storage:
    return MemoryStorage() if storage is None else storage


def committing(storage: Storage) -> list[Middleware]:
    """The `outer` middlewares of a server's `base_app`: commit after the handler."""
    return [commit_middleware(storage)]
