"""The servers' one JSON reader: what no handler should see is refused at the boundary as a 400
`malformed` problem (never a 500), and what is fine is read as `json.loads` would."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import web

from servicekit import jsonbody
from servicekit.problems import BadRequest, json_object, read_json
from servicekit.webapp import ServerState, base_app
from trust_store.clock import ManualClock
from trust_store.problems import PROBLEM_JSON, TYPE_BASE
from trust_store.randomness import Randomness

DEEP_ARRAYS = b"[" * 10_000 + b"]" * 10_000
DEEP_OBJECTS = b'{"a":' * 10_000 + b"1" + b"}" * 10_000

REFUSED = [
    pytest.param(DEEP_ARRAYS, id="arrays-10000-deep"),
    pytest.param(DEEP_OBJECTS, id="objects-10000-deep"),
    pytest.param(b"[" * (jsonbody.MAX_DEPTH + 1) + b"]" * (jsonbody.MAX_DEPTH + 1), id="depth+1"),
    pytest.param(b'{"name": "\\ud800"}', id="lone-high-surrogate"),
    pytest.param(b'{"name": "x\\udfff"}', id="lone-low-surrogate"),
    pytest.param(b'{"\\ud800": 1}', id="surrogate-in-key"),
    pytest.param(b'{"a": [{"b": ["\\udbff"]}]}', id="surrogate-nested"),
    pytest.param(b'{"a": NaN}', id="nan"),
    pytest.param(b'{"a": Infinity}', id="infinity"),
    pytest.param(b'{"a": -Infinity}', id="minus-infinity"),
    pytest.param(b'{"a": 1e999}', id="float-overflow"),
    pytest.param(b'{"a": -1e400}', id="negative-float-overflow"),
    pytest.param(b'{"a": ' + b"9" * 5000 + b"}", id="int-5000-digits"),
    pytest.param('{"a": "é"}'.encode("latin-1"), id="not-utf8"),
    pytest.param('{"a": 1}'.encode("utf-16"), id="utf16"),
    pytest.param(b"\xef\xbb\xbf{}", id="utf8-bom"),
    pytest.param(b"", id="empty"),
    pytest.param(b"{", id="truncated"),
]


@pytest.mark.parametrize("raw", REFUSED)
def test_the_reader_refuses(raw: bytes) -> None:
    with pytest.raises(jsonbody.JsonRefused):
        jsonbody.loads(raw)
    with pytest.raises(BadRequest):
        json_object(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": "\\ud83d\\ude00"}',  # a surrogate pair is one character
        b'{"a": 9223372036854775807, "b": -9223372036854775809, "c": 1' + b"0" * 100 + b"}",
        b'{"a": 1.7976931348623157e308, "b": 5e-324, "c": 1e-400}',
        b"[" * jsonbody.MAX_DEPTH + b"]" * jsonbody.MAX_DEPTH,
        b'{"a": null, "b": [true, false], "c": {"d": "text\\nwith a line break"}}',
    ],
)
def test_the_reader_reads_what_json_loads_reads(raw: bytes) -> None:
    assert jsonbody.loads(raw) == json.loads(raw)


def test_a_value_nested_by_other_means_is_refused_without_recursion() -> None:
    value: Any = "leaf"
    for _ in range(100_000):
        value = [value]
    with pytest.raises(jsonbody.JsonRefused):
        jsonbody.check_value(value)


def test_only_an_object_is_a_body() -> None:
    for raw in (b"[]", b'"x"', b"1", b"null"):
        with pytest.raises(BadRequest):
            json_object(raw)


async def test_a_server_answers_every_refusal_with_malformed_and_records_it(
    aiohttp_client: Any,
) -> None:
    """Through a real app: a 400 problem document, the handler never runs, and the refusal is
    in the request history."""
    state = ServerState("kit", ManualClock(), Randomness(seed=1))
    app = base_app(state)
    seen: list[dict[str, Any]] = []

    async def echo(request: web.Request) -> web.Response:
        seen.append(await read_json(request))
        return web.json_response({})

    app.router.add_post("/echo", echo)
    client = await aiohttp_client(app)
    for param in REFUSED:
        raw = param.values[0]
        assert isinstance(raw, bytes)
        async with client.post(
            "/echo", data=raw, headers={"Content-Type": "application/json"}
        ) as r:
            assert r.status == 400, (param.id, await r.text())
            assert r.content_type == PROBLEM_JSON
            assert (await r.json())["type"] == TYPE_BASE + "malformed"
    assert seen == []
    assert [h.status for h in state.history] == [400] * len(REFUSED)
