"""Fixtures shared by every test module: one manual clock, seeded randomness, one lab PKI, and
the admin token the tests' servers are given (every server's `/admin/*` needs it)."""

from __future__ import annotations

import datetime as dt

import pytest

from trust_store.clock import ManualClock
from trust_store.labpki import LabPKI
from trust_store.randomness import Randomness

START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
#: The admin token of the tests' servers (a lab makes up its own).
ADMIN_TOKEN = "test-admin-token-0123456789abcdef"


@pytest.fixture
def admin_token() -> str:
    return ADMIN_TOKEN


@pytest.fixture
def admin_headers(admin_token: str) -> dict[str, str]:
    """`Authorization: Bearer <admin token>` for a test's calls to `/admin/*`."""
    return {"Authorization": f"Bearer {admin_token}"}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def rand() -> Randomness:
    return Randomness(1234)


@pytest.fixture
def pki(clock: ManualClock, rand: Randomness) -> LabPKI:
    return LabPKI.create(clock, rand, ("entrust", "intercede", "purebred"))
