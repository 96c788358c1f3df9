"""Inputs that used to crash mock Intune (500) or slip through are refused with 400 and change
nothing: JSON nested 10,000 deep or holding lone surrogates or non-finite numbers on every JSON
route, check-in times outside the representable range or without an offset, and names, UPNs
and thumbprints with control characters or a trailing newline. (Under `/beta` the error keeps
the shape the Graph routes answer in; the device channel answers problem documents.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from trust_store.clock import isoformat

from .conftest import ALL_USERS, CONFIGS, DC, GRAPH, Intune

PROBLEM = "application/problem+json"
JSON = {"Content-Type": "application/json"}

JSON_ROUTES = [
    ("POST", DC),
    ("PATCH", DC + "/{sid}"),
    ("POST", CONFIGS),
    ("PATCH", CONFIGS + "/{pid}"),
    ("POST", CONFIGS + "/{pid}/assign"),
    ("POST", "/beta/groups"),
    ("POST", "/device/v1/enroll"),
    ("POST", "/device/v1/checkin"),
    ("POST", "/device/v1/status"),
]

HOSTILE_JSON = [
    pytest.param(b"[" * 10_000 + b"]" * 10_000, id="arrays-10000-deep"),
    pytest.param(b'{"a":' * 10_000 + b"1" + b"}" * 10_000, id="objects-10000-deep"),
    pytest.param(b'{"displayName": "\\ud800", "deviceName": "\\ud800"}', id="lone-surrogate"),
    pytest.param(b'{"renewalThresholdPercentage": 1e999}', id="float-overflow"),
    pytest.param(b'{"version": NaN}', id="nan"),
    pytest.param(b'{"version": 1' + b"0" * 5000 + b"}", id="integer-of-5001-digits"),
]


async def _auth(intune: Intune, path: str, token: str) -> dict[str, str]:
    """The credential a route needs: the Graph token under /beta (once the server asks for
    one), the device's check-in token on the device channel."""
    graph_auth = getattr(intune, "auth", None)
    if path.startswith("/beta"):
        return dict(await graph_auth(path)) if graph_auth is not None else {}
    return {"Authorization": f"Bearer {token}"}


async def _populated(intune: Intune) -> dict[str, str]:
    sid = (await intune.add_settings())["id"]
    root = (await intune.add_root())["id"]
    pid = (await intune.add_wifi([root]))["id"]
    await intune.assign(pid, ALL_USERS)
    _, token = await intune.enroll()
    return {"sid": sid, "pid": pid, "token": token}


async def _refused(
    intune: Intune, method: str, path: str, ids: dict[str, str], **kw: Any
) -> dict[str, Any]:
    headers = {**await _auth(intune, path, ids["token"]), **kw.pop("headers", {})}
    before = intune.snapshot()
    resp = await intune.client.request(method, path.format(**ids), headers=headers, **kw)
    text = await resp.text()
    assert resp.status == 400, f"{method} {path}: {resp.status} {text[:300]}"
    if path.startswith("/device"):
        assert resp.content_type == PROBLEM
    assert intune.tenant == before
    doc: dict[str, Any] = await resp.json(content_type=None)
    return doc


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
@pytest.mark.parametrize("raw", HOSTILE_JSON)
async def test_hostile_json_is_refused_on_every_route(
    intune: Intune, method: str, path: str, raw: bytes
) -> None:
    ids = await _populated(intune)
    await _refused(intune, method, path, ids, data=raw, headers=JSON)


def _credential(intune: Intune, settings_id: str, **over: str) -> dict[str, Any]:
    return {**intune.credential(settings_id), **over}


@pytest.mark.parametrize(
    "times",
    [
        {"notBefore": "0001-01-01T00:00:00+14:00"},
        {"notAfter": "9999-12-31T23:59:59-14:00"},
        {"notBefore": "2026-01-01T00:00:00"},  # no offset: would be read in local time
        {"notAfter": "2027-01-01"},
        {"notBefore": "not a time"},
        {"notAfter": "2027-01-01T00:00:00Z\n"},
    ],
)
async def test_checkin_times_out_of_range_or_without_offset(
    intune: Intune, times: dict[str, str]
) -> None:
    ids = await _populated(intune)
    body = {"credential": _credential(intune, ids["sid"], **times)}
    doc = await _refused(intune, "POST", "/device/v1/checkin", ids, json=body)
    assert doc["field"] in ("credential.notBefore", "credential.notAfter")


async def test_checkin_times_at_the_edges_of_the_range_are_read(intune: Intune) -> None:
    ids = await _populated(intune)
    now = intune.clock.now()
    body = {
        "credential": _credential(
            intune,
            ids["sid"],
            notBefore="0001-01-01T00:00:00-14:00",
            notAfter=isoformat(now + dt.timedelta(days=1)).replace("Z", "+14:00"),
        )
    }
    doc = await intune.checkin(ids["token"], body["credential"])
    assert doc["actions"]  # used more than 80% of its lifetime: renew


@pytest.mark.parametrize(
    "thumbprint", ["ab" * 20 + "\n", "ab" * 32 + "\n", "AB" * 19 + "A\u0660", " " + "ab" * 20]
)
async def test_a_thumbprint_with_a_trailing_newline_is_refused(
    intune: Intune, thumbprint: str
) -> None:
    ids = await _populated(intune)
    body = {"credential": _credential(intune, ids["sid"], thumbprint=thumbprint)}
    doc = await _refused(intune, "POST", "/device/v1/checkin", ids, json=body)
    assert doc["field"] == "credential.thumbprint"


ENROLL = {"deviceName": "alice-ios", "upn": "alice@corp.example", "platform": "ios"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("upn", "alice@corp.example\n"),
        ("upn", "al\x00ice@corp.example"),
        ("upn", "alice@corp\u2028.example"),
        ("upn", " alice@corp.example"),
        ("deviceName", "alice-ios\n"),
        ("deviceName", "alice\r\nX-Injected: 1"),
        ("deviceName", "alice\u202eios"),
        ("deviceName", "alice-ios "),
    ],
)
async def test_enroll_names_and_upns_must_be_one_line(
    intune: Intune, field: str, value: str
) -> None:
    ids = await _populated(intune)
    doc = await _refused(intune, "POST", "/device/v1/enroll", ids, json={**ENROLL, field: value})
    assert doc["field"] == field


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/beta/groups", {"displayName": "Pilot\n"}),
        ("POST", "/beta/groups", {"displayName": "Pilot", "members": ["bob@corp.example\n"]}),
        ("POST", "/beta/groups", {"displayName": "Pilot", "members": ["b\x07b@corp.example"]}),
        ("PATCH", DC + "/{sid}", {"displayName": "PIV-D\n"}),
        ("PATCH", CONFIGS + "/{pid}", {"displayName": "Wi-Fi\x00"}),
        (
            "POST",
            CONFIGS,
            {
                "@odata.type": f"{GRAPH}iosTrustedRootCertificate",
                "displayName": "\u2029root",
                "trustedRootCertificate": "AAAA",
                "certFileName": "r.cer",
            },
        ),
    ],
)
async def test_graph_names_must_be_one_line(
    intune: Intune, method: str, path: str, body: dict[str, Any]
) -> None:
    ids = await _populated(intune)
    await _refused(intune, method, path, ids, json=body)
