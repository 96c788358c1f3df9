"""One lab clock: `POST /admin/time` on any service moves it for every service; real time plus
a persisted offset in `dcemu serve`; ISO 8601 durations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from agent.errors import ServiceRefusedError
from lab.serve import clock_for
from lab.world import Lab
from trust_store.clock import ManualClock, OffsetClock, parse_duration


@pytest.mark.parametrize(
    ("text", "delta"),
    [("P30D", dt.timedelta(days=30)), ("PT12H", dt.timedelta(hours=12)),
     ("P1DT2H30M", dt.timedelta(days=1, hours=2, minutes=30)), ("P2W", dt.timedelta(weeks=2))],
)  # fmt: skip
def test_durations(text: str, delta: dt.timedelta) -> None:
    assert parse_duration(text) == delta


@pytest.mark.parametrize("text", ["P", "PT", "P1Y", "P1M", "30D", "P1DT", "P-1D", "P99999999D"])
def test_durations_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_offset_clock_follows_real_time_and_keeps_its_offset(tmp_path: Path) -> None:
    clock = clock_for(tmp_path)
    before = clock.now()
    clock.advance(dt.timedelta(days=30))
    again = clock_for(tmp_path)  # a restart
    assert isinstance(again, OffsetClock)
    assert again.offset == dt.timedelta(days=30)
    assert again.now() - before >= dt.timedelta(days=30)


async def test_moving_the_clock_on_one_service_moves_every_service(clock: ManualClock) -> None:
    async with Lab.start(issuers=("entrust",), clock=clock) as lab:
        start = clock.now()
        headers = lab.admin_headers
        rp = lab.servers.rp_url
        doc = await lab.transport.json(
            "POST", f"{rp}/admin/time", json={"advance": "P30D"}, headers=headers, during="t"
        )
        assert clock.now() == start + dt.timedelta(days=30)
        issuer = lab.servers.issuer_urls["entrust"]
        seen = await lab.transport.json("GET", f"{issuer}/admin/time", headers=headers, during="t")
        assert seen["now"] == doc["now"]
        later = (start + dt.timedelta(days=40)).isoformat()
        await lab.transport.request(
            "POST", f"{issuer}/admin/time", json={"set": later}, headers=headers, during="t"
        )
        assert clock.now() == start + dt.timedelta(days=40)
        # Refused, and the clock stays: years have no fixed length, time does not go back.
        for bad in ({"advance": "P1Y"}, {"set": start.isoformat()}, {"advance": 3}, {}):
            with pytest.raises(ServiceRefusedError) as e:
                await lab.transport.request(
                    "POST", f"{issuer}/admin/time", json=bad, headers=headers, during="t"
                )
            assert e.value.status == 400
        assert clock.now() == start + dt.timedelta(days=40)
