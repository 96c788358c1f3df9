"""A fourth issuer, written entirely in the test package: its server (a `mock_issuers` issuer
class), its device-side client (an `agent` issuer client) and its lab plugin. Registered, it
runs through the same contract as the built-in issuers on every platform, with no edit to
`lab/`, `agent/` or `mock_issuers/`: the plugin seam is real."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.issuers import IssuerClient
from lab.issuers import ISSUER_PLUGINS, PortalIssuerPlugin
from lab.matrix import supported, unsupported
from mock_issuers.issuer import ISSUERS as SERVER_ISSUERS
from mock_issuers.issuer import Issuer, register
from trust_store.clock import ManualClock

from .kit import enrollment_contract, resume_contract

NAME = "toyca"


@pytest.fixture
def toy_issuer() -> Iterator[str]:
    """Declare the toy issuer's three parts for one test, then take them away again."""

    @register
    class ToyServer(Issuer):
        name = NAME
        display_name = "Toy CA"
        password_required = True
        password_length = 6

    class ToyClient(IssuerClient):
        name = NAME
        display = "Toy CA"
        # Intune's issuer enum has one value no built-in plugin emulates.
        intune_issuer = "xTec"
        password_required = True

    class ToyPlugin(PortalIssuerPlugin):
        name = NAME
        client = ToyClient
        server = ToyServer
        demo_user = ("Toby Toy", "toby@corp.example")

    try:
        yield NAME
    finally:
        SERVER_ISSUERS.pop(NAME, None)
        ISSUER_PLUGINS.pop(NAME, None)
        del ToyServer, ToyPlugin


def test_the_matrix_lists_a_registered_issuer(toy_issuer: str) -> None:
    mine = [c for c in supported() if c.issuer == toy_issuer]
    assert {c.platform for c in mine} == {
        "ios",
        "android-fully-managed",
        "android-work-profile",
        "windows",
    }
    # xTec is now emulated, so it leaves the list of what the lab cannot run.
    assert ("xTec", "*") not in unsupported()


async def test_toy_issuer_meets_the_contract_on_every_platform(
    toy_issuer: str, clock: ManualClock, tmp_path: Path
) -> None:
    for combo in (c for c in supported() if c.issuer == toy_issuer):
        await enrollment_contract(combo, clock)
        await resume_contract(combo, clock, tmp_path / combo.id)
