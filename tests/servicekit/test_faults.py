"""Fault plans are bounded even when set badly (pebble: safe test knobs)."""

from __future__ import annotations

from typing import Any

import pytest

from servicekit.faults import MAX_LATENCY_MS, FaultPlan
from servicekit.webapp import ServerState, base_app
from trust_store.clock import ManualClock
from trust_store.randomness import Randomness


@pytest.mark.parametrize(
    "body",
    [
        {"latencyMs": -1},
        {"latencyMs": MAX_LATENCY_MS + 1},
        {"latencyMs": 1e308},
        {"errorRate": float("nan")},
        {"errorRate": 1.5},
        {"dropRate": float("inf")},
        {"dropRate": -0.1},
        {"latencyMs": 1.5},
        {"latencyMs": "100"},
        {"latencyMs": True},
        {"errorRate": "0.5"},
        {"errorRate": False},
        {"paths": "/"},
        {"paths": "/est/"},
        {"paths": [1]},
        {"paths": ["est/"]},
        {"paths": [None]},
        {"paths": ["/" + "x" * 2000]},
        {"paths": ["/a"] * 65},
        {"paths": {"/": True}},
    ],
)
def test_a_plan_out_of_bounds_is_refused(body: dict[str, Any]) -> None:
    with pytest.raises((ValueError, OverflowError)):
        FaultPlan.from_json(body)


def test_paths_must_be_a_list_of_prefixes_not_a_string_split_into_characters() -> None:
    """`"paths": "/"` used to become ["/"] (every character a prefix), matching every path."""
    with pytest.raises(ValueError, match="paths"):
        FaultPlan.from_json({"errorRate": 1, "paths": "/device"})
    plan = FaultPlan.from_json({"errorRate": 1, "paths": ["/device"]})
    assert plan.applies("/device/v1/x") and not plan.applies("/portal/session")


def test_a_plan_within_bounds_round_trips() -> None:
    body = {
        "latencyMs": MAX_LATENCY_MS,
        "jitterMs": 40,
        "errorRate": 1.0,
        "dropRate": 0.0,
        "paths": ["/est/"],
    }
    assert FaultPlan.from_json(body).to_json() == body
    assert FaultPlan().applies("/est/x") and not FaultPlan().applies("/admin/faults")


async def test_the_admin_app_answers_a_bad_plan_with_malformed(
    aiohttp_client: Any, admin_token: str, admin_headers: dict[str, str]
) -> None:
    state = ServerState("kit", ManualClock(), Randomness(seed=1), admin_token=admin_token)
    client = await aiohttp_client(base_app(state))
    for raw in (b'{"latencyMs": Infinity}', b'{"errorRate": NaN}', b'{"paths": 3}'):
        async with client.put(
            "/admin/faults",
            data=raw,
            headers={"Content-Type": "application/json", **admin_headers},
        ) as r:
            assert r.status == 400 and (await r.json())["type"].endswith(":malformed")
    assert state.faults == FaultPlan()
