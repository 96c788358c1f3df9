"""What every route shares: typed errors for malformed bodies, wrong content types, oversized
bodies and unknown routes (none changing state) -- Graph's error shape under `/beta`, problem
documents on the device channel -- the OpenAPI document, admin reset."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from mock_intune import ServerSettings, create_app
from mock_intune.app import ROUTES
from mock_intune.profiles import REGISTRY
from trust_store.clock import ManualClock
from trust_store.labpki import LabPKI
from trust_store.randomness import Randomness
from trust_store.tls import client_context, server_context

from .conftest import ALL_USERS, CONFIGS, DC, Intune, MakeIntune, graph_error_view

PROBLEM = "application/problem+json"
GRAPH_CODES = {400: "BadRequest", 404: "ResourceNotFound", 405: "MethodNotAllowed",
               413: "RequestEntityTooLarge", 415: "UnsupportedMediaType"}  # fmt: skip

WRITE_ROUTES = [
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


async def _populated(intune: Intune) -> dict[str, str]:
    sid = (await intune.add_settings())["id"]
    pid = (await intune.add_wifi())["id"]
    await intune.assign(pid, ALL_USERS)
    _, token = await intune.enroll()
    return {"sid": sid, "pid": pid, "token": token}


async def _send(
    intune: Intune, method: str, path: str, ids: dict[str, str], **kw: Any
) -> tuple[int, str, dict[str, Any]]:
    """Send with the credential the route needs (Graph token on /beta, the device's check-in
    token on /device); an error answer is seen as the problem document it answers, after its
    shape is checked: Graph's error on /beta (with Graph's code for the status), RFC 9457 on
    the device channel."""
    auth = await intune.auth(path) or {"Authorization": f"Bearer {ids['token']}"}
    headers = {**auth, **kw.pop("headers", {})}
    resp = await intune.client.request(method, path.format(**ids), headers=headers, **kw)
    doc = await resp.json(content_type=None)
    if resp.status >= 400 and path.startswith("/beta"):
        assert resp.content_type == "application/json"
        view = graph_error_view(doc, resp.status)
        assert view["graphCode"] == GRAPH_CODES[resp.status]
        return resp.status, PROBLEM, view
    return resp.status, resp.content_type, doc


@pytest.mark.parametrize(("method", "path"), WRITE_ROUTES)
@pytest.mark.parametrize("data", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe", b""], ids=repr)
async def test_malformed_bodies(intune: Intune, method: str, path: str, data: bytes) -> None:
    ids = await _populated(intune)
    before = intune.snapshot()
    status, ctype, doc = await _send(
        intune, method, path, ids, data=data, headers={"Content-Type": "application/json"}
    )
    assert (status, ctype, doc["type"]) == (400, PROBLEM, "urn:dcemu:problem:malformed")
    assert intune.tenant == before


@pytest.mark.parametrize(("method", "path"), WRITE_ROUTES)
async def test_wrong_content_type(intune: Intune, method: str, path: str) -> None:
    ids = await _populated(intune)
    before = intune.snapshot()
    status, ctype, doc = await _send(
        intune, method, path, ids, data=b"{}", headers={"Content-Type": "text/plain"}
    )
    assert (status, ctype) == (415, PROBLEM)
    assert doc["type"] == "urn:dcemu:problem:unsupported-media-type"
    assert intune.tenant == before


@pytest.mark.parametrize(("method", "path"), WRITE_ROUTES)
async def test_oversized_body(make_intune: MakeIntune, method: str, path: str) -> None:
    intune = await make_intune(body_limit=4096)
    ids = await _populated(intune)
    before = intune.snapshot()
    big = {"displayName": "x", "padding": "a" * 5000}
    status, ctype, doc = await _send(intune, method, path, ids, json=big)
    assert (status, ctype, doc["type"]) == (413, PROBLEM, "urn:dcemu:problem:too-large")
    assert intune.tenant == before


async def test_default_body_limit_is_64_kib(intune: Intune) -> None:
    body = {**intune.wifi_body(), "padding": "a" * (64 * 1024)}
    resp = await intune.client.post(CONFIGS, json=body, headers=await intune.auth(CONFIGS))
    assert resp.status == 413
    assert intune.tenant.profiles == {}


async def test_merge_patch_content_type_accepted(intune: Intune) -> None:
    ids = await _populated(intune)
    resp = await intune.client.patch(
        f"{CONFIGS}/{ids['pid']}",
        data=b'{"description": "d"}',
        headers={"Content-Type": "application/merge-patch+json", **await intune.auth(CONFIGS)},
    )
    assert resp.status == 200


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/beta/deviceManagement/unknown", 404),
        ("GET", "/nothing", 404),
        ("PUT", CONFIGS, 405),
        ("DELETE", "/beta/groups", 405),
    ],
)
async def test_unknown_routes_are_problems(
    intune: Intune, method: str, path: str, status: int
) -> None:
    resp = await intune.client.request(method, path, headers=await intune.auth(path))
    assert resp.status == status
    doc = await resp.json(content_type=None)
    if path.startswith("/beta"):
        assert resp.content_type == "application/json"
        assert graph_error_view(doc, status)["graphCode"] == GRAPH_CODES[status]
    else:
        assert resp.content_type == PROBLEM
        assert doc["status"] == status
    if status == 405:
        assert resp.headers["Allow"]


async def test_openapi_lists_every_route(intune: Intune) -> None:
    doc = await intune.call("GET", "/openapi.json")
    assert doc["openapi"] == "3.1.0"
    listed = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    served = {(r.method, r.path) for r in ROUTES}
    assert served <= listed
    assert ("POST", "/beta/deviceManagement/deviceConfigurations/{id}/assign") in listed
    assert ("POST", "/device/v1/checkin") in listed
    assert ("GET", "/openapi.json") in listed and ("POST", "/admin/reset") in listed
    op_ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(op_ids) == len(set(op_ids))
    schemas = doc["components"]["schemas"]
    wifi = schemas["iosEnterpriseWiFiConfiguration"]
    assert wifi["properties"]["eapType"]["enum"][:2] == ["eapTls", "leap"]
    assert "ssid" in wifi["required"]
    mapping = schemas["DeviceConfiguration"]["discriminator"]["mapping"]
    # Every registered profile type, whatever modules add them.
    assert (
        set(mapping)
        == set(REGISTRY)
        >= {
            "#microsoft.graph.iosEnterpriseWiFiConfiguration",
            "#microsoft.graph.iosTrustedRootCertificate",
        }
    )
    settings = schemas["DerivedCredentialSettings"]["properties"]
    assert "companyPortal,email" in settings["notificationType"]["enum"]
    # Every $ref resolves.
    refs = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                refs.add(node["$ref"].removeprefix("#/components/schemas/"))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc)
    assert refs <= set(schemas)
    check = doc["paths"]["/device/v1/checkin"]["post"]
    assert check["security"] == [{"checkinToken": []}]


async def test_admin_reset_empties_the_tenant(intune: Intune) -> None:
    await _populated(intune)
    assert intune.tenant.devices
    resp = await intune.client.post("/admin/reset", headers=await intune.auth("/admin/reset"))
    assert resp.status == 204
    assert intune.tenant.settings is None and intune.tenant.profiles == {}
    assert intune.tenant.devices == {} and intune.tenant.tokens == {}
    await intune.add_settings()


async def test_history_records_requests(intune: Intune) -> None:
    await intune.add_settings()
    history = await intune.call("GET", "/admin/history")
    assert [(h["method"], h["path"], h["status"]) for h in history["requests"]] == [
        ("POST", intune.graph_app.token_path, 200),
        ("POST", DC, 201),
    ]


async def test_fault_plan_rejects_device_requests(intune: Intune) -> None:
    resp = await intune.client.put(
        "/admin/faults",
        json={"errorRate": 1, "paths": ["/device/"]},
        headers=await intune.auth("/admin/faults"),
    )
    assert resp.status == 200
    resp = await intune.client.post(
        "/device/v1/enroll", json={"deviceName": "d", "upn": "a@b.example", "platform": "ios"}
    )
    assert resp.status == 503
    assert intune.tenant.devices == {}
    await intune.add_settings()


async def test_served_over_https(
    aiohttp_server: Any,
    clock: ManualClock,
    rand: Randomness,
    pki: LabPKI,
    admin_token: str,
    admin_headers: dict[str, str],
) -> None:
    """The factory is transport-agnostic; the lab serves it with a lab-TLS-root certificate."""
    cred = pki.server_credential("intune")
    server = await aiohttp_server(
        create_app(ServerSettings(admin_token=admin_token), clock, rand),
        ssl=server_context(cred.chain, cred.key),
    )
    connector = aiohttp.TCPConnector(ssl=client_context([pki.tls_root.cert]))
    async with aiohttp.ClientSession(connector=connector) as session:
        url = f"https://localhost:{server.port}/device/v1/enroll"
        body = {"deviceName": "d", "upn": "a@corp.example", "platform": "ios"}
        async with session.post(url, json=body) as resp:
            assert resp.status == 201
        url = f"https://localhost:{server.port}/admin/history"
        async with session.get(url, headers=admin_headers) as resp:
            history = (await resp.json())["requests"]
    assert [(h["path"], h["status"], h["client_cert"]) for h in history] == [
        ("/device/v1/enroll", 201, False)
    ]
