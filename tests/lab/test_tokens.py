"""The lab's tokens: one admin token for every server (given, or made up from the lab's seeded
randomness), the Graph client credentials read back from mock Intune, and cards whose PUK is
the one the card authority set."""

from __future__ import annotations

import datetime as dt

import pytest

from agent.errors import CardError, PinIncorrectError
from lab.settings import LabSettings
from lab.world import Lab
from mock_intune import ServerSettings as IntuneSettings
from trust_store.clock import ManualClock

TOKEN = "the-labs-own-admin-token-0123"


async def test_the_lab_gives_its_admin_token_to_every_server(clock: ManualClock) -> None:
    settings = LabSettings(admin_token=TOKEN)
    async with Lab.start(issuers=("entrust",), clock=clock, settings=settings) as lab:
        assert lab.admin_token == TOKEN
        assert lab.admin_headers == {"Authorization": f"Bearer {TOKEN}"}
        for url in (lab.servers.card_authority_url, lab.servers.intune_url, lab.servers.rp_url,
                    *lab.servers.issuer_urls.values()):  # fmt: skip
            await lab.transport.request(
                "GET", f"{url}/admin/time", headers=lab.admin_headers, during="admin time"
            )


async def test_a_made_up_admin_token_repeats_with_the_seed(clock: ManualClock) -> None:
    tokens = []
    for seed in (21, 21, 22):
        async with Lab.start(issuers=("entrust",), clock=clock, seed=seed) as lab:
            tokens.append(lab.admin_token)
            graph = lab.graph_credentials
            assert graph.token_path == f"/{graph.tenant_id}/oauth2/v2.0/token"
    assert tokens[0] == tokens[1] != tokens[2] and len(tokens[0]) >= 43


async def test_graph_credentials_from_the_settings_reach_the_administrator(
    clock: ManualClock,
) -> None:
    intune = IntuneSettings(
        tenant_id="22222222-3333-4444-8555-666666666666",
        client_id="11111111-2222-4333-8444-555555555555",
        client_secret="client-secret-of-the-lab-0123456789",
    )
    async with Lab.start(
        issuers=("entrust",), clock=clock, settings=LabSettings(intune=intune)
    ) as lab:
        assert lab.graph_credentials.client_id == intune.client_id
        await lab.configure_tenant("entrust", families=("ios",))
        token = await lab.admin.access_token()
        # Held until close to its expiry on the lab clock, then replaced.
        clock.advance(dt.timedelta(minutes=50))
        assert await lab.admin.access_token() == token
        clock.advance(dt.timedelta(minutes=6))
        assert await lab.admin.access_token() != token
        clock.advance(dt.timedelta(days=30))
        await lab.configure_tenant("entrust", families=("ios",))


async def test_a_users_card_has_the_puk_the_card_authority_set(clock: ManualClock) -> None:
    async with Lab.start(issuers=("entrust",), clock=clock, seed=3) as lab:
        alice = await lab.new_user("Alice Smith", "alice@corp.example")
        bob = await lab.new_user("Bob Jones", "bob@corp.example")
        assert alice.card.puk != bob.card.puk
        assert "12345678" not in (alice.card.puk, bob.card.puk)
        card = alice.card
        for _ in range(card.max_tries):
            with pytest.raises(CardError):
                card.verify_pin("000000")
        assert card.locked
        with pytest.raises(PinIncorrectError):
            card.reset_pin("12345678", "654321")
        card.reset_pin(alice.card.puk, "654321")
        card.verify_pin("654321")

