"""Fixtures shared by every test module: one manual clock, seeded randomness, one lab PKI."""

from __future__ import annotations

import datetime as dt

import pytest

from trust_store.clock import ManualClock
from trust_store.labpki import LabPKI
from trust_store.randomness import Randomness

START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def rand() -> Randomness:
    return Randomness(1234)


@pytest.fixture
def pki(clock: ManualClock, rand: Randomness) -> LabPKI:
    return LabPKI.create(clock, rand, ("entrust", "intercede", "purebred"))
