"""The Graph API's client-credentials grant (`POST /{tenant}/oauth2/v2.0/token`, shaped like the
identity platform's) and the bearer token `/beta` requires: good and refused requests (each
refusal in the identity platform's error shape, issuing nothing), expiry on the lab clock, and
the credentials as settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mock_intune import GRAPH_APP, ServerSettings, create_app
from mock_intune.identity import ACCESS_TOKENS
from servicekit.env import SettingsError
from trust_store.clock import ManualClock
from trust_store.randomness import Randomness

from .conftest import DC, Intune

CLIENT_REQUEST_ID = "2f6c8a4e-3d9b-4c1e-8f7a-5b0e9d2c1a34"


async def _token_request(
    intune: Intune, form: dict[str, str] | None = None, *, path: str | None = None, **kw: Any
) -> tuple[int, dict[str, str], dict[str, Any]]:
    resp = await intune.client.post(
        path or intune.graph_app.token_path,
        data=form if form is not None else intune.token_form(),
        **kw,
    )
    return resp.status, dict(resp.headers), await resp.json(content_type=None)


def _tokens(intune: Intune) -> int:
    app = intune.client.app
    assert app is not None
    return len(app[ACCESS_TOKENS])


async def test_client_credentials_give_a_bearer_token_for_graph(intune: Intune) -> None:
    status, headers, doc = await _token_request(intune)
    assert status == 200
    assert doc["token_type"] == "Bearer" and doc["expires_in"] == doc["ext_expires_in"] == 3599
    assert headers["Cache-Control"] == "no-store"
    token = doc["access_token"]
    assert len(token) >= 43  # 256 random bits
    resp = await intune.client.get(DC, headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 200 and resp.headers["request-id"]
    # Each request gets a new token; Graph's app id works as the scope's resource too.
    _, _, again = await _token_request(
        intune, intune.token_form(scope="00000003-0000-0000-c000-000000000000/.default")
    )
    assert again["access_token"] != token


@pytest.mark.parametrize(
    ("over", "status", "error", "aadsts"),
    [
        ({"client_secret": "not-the-secret-" + "x" * 20}, 401, "invalid_client", 7000215),
        ({"client_secret": ""}, 401, "invalid_client", 7000218),
        ({"client_id": "11111111-2222-4333-8444-555555555555"}, 401, "invalid_client", 700016),
        ({"client_id": ""}, 400, "invalid_request", 900144),
        ({"grant_type": "password"}, 400, "unsupported_grant_type", 70003),
        ({"grant_type": "authorization_code"}, 400, "unsupported_grant_type", 70003),
        ({"grant_type": ""}, 400, "invalid_request", 900144),
        ({"scope": "https://graph.microsoft.com/User.Read"}, 400, "invalid_scope", 1002012),
        ({"scope": "https://management.azure.com/.default"}, 400, "invalid_scope", 1002012),
        ({"scope": ""}, 400, "invalid_request", 900144),
    ],
    ids=repr,
)
async def test_token_refusals_have_the_identity_platforms_shape(
    intune: Intune, over: dict[str, str], status: int, error: str, aadsts: int
) -> None:
    form = {k: v for k, v in intune.token_form(**over).items() if v}
    code, headers, doc = await _token_request(
        intune, form, headers={"client-request-id": CLIENT_REQUEST_ID}
    )
    assert (code, doc["error"], doc["error_codes"]) == (status, error, [aadsts])
    assert doc["error_description"].startswith(f"AADSTS{aadsts}: ")
    assert f"Trace ID: {doc['trace_id']}" in doc["error_description"]
    assert doc["correlation_id"] == CLIENT_REQUEST_ID and doc["timestamp"].endswith("Z")
    assert headers["Cache-Control"] == "no-store"
    assert intune.graph_app.client_secret not in str(doc)
    assert _tokens(intune) == 0


@pytest.mark.parametrize(
    "send",
    [
        {"json": {"grant_type": "client_credentials"}},  # not a form
        {"data": b"grant_type=client_credentials&grant_type=password"},  # a field twice
        {"data": b"\xff\xfe=1"},  # not UTF-8
    ],
    ids=["json", "duplicate", "bytes"],
)
async def test_a_request_that_is_not_one_form_is_invalid(
    intune: Intune, send: dict[str, Any]
) -> None:
    kw = dict(send)
    if "data" in kw:
        kw["headers"] = {"Content-Type": "application/x-www-form-urlencoded"}
    resp = await intune.client.post(intune.graph_app.token_path, **kw)
    assert resp.status == 400
    assert (await resp.json())["error"] == "invalid_request"
    assert _tokens(intune) == 0


async def test_another_tenant_and_other_methods_are_refused(intune: Intune) -> None:
    status, _, doc = await _token_request(
        intune, path="/00000000-0000-4000-8000-000000000001/oauth2/v2.0/token"
    )
    assert (status, doc["error"], doc["error_codes"]) == (400, "invalid_request", [90002])
    resp = await intune.client.get(intune.graph_app.token_path)
    assert resp.status == 405 and (await resp.json())["error"] == "invalid_request"
    assert _tokens(intune) == 0


async def test_a_token_expires_on_the_lab_clock(intune: Intune, clock: ManualClock) -> None:
    _, _, doc = await _token_request(intune)
    auth = {"Authorization": f"Bearer {doc['access_token']}"}
    clock.advance(dt.timedelta(seconds=3598))
    assert (await intune.client.get(DC, headers=auth)).status == 200
    clock.advance(dt.timedelta(seconds=1))
    resp = await intune.client.get(DC, headers=auth)
    assert resp.status == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer ")
    assert 'error="invalid_token"' in resp.headers["WWW-Authenticate"]
    error = (await resp.json())["error"]
    assert error["code"] == "InvalidAuthenticationToken"
    assert error["message"] == "Lifetime validation failed, the token is expired."
    assert error["innerError"]["code"] == "invalid-token"
    # A new token works at once.
    _, _, doc = await _token_request(intune)
    resp = await intune.client.get(DC, headers={"Authorization": f"Bearer {doc['access_token']}"})
    assert resp.status == 200


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        (None, "unauthorized"),
        ("Basic YTpi", "unauthorized"),
        ("Bearer", "unauthorized"),
        ("Bearer not-a-token-of-this-tenant", "invalid-token"),
    ],
)
async def test_graph_without_a_live_token_is_401(
    intune: Intune, header: str | None, kind: str
) -> None:
    headers = {"Authorization": header} if header else {}
    headers["client-request-id"] = CLIENT_REQUEST_ID
    resp = await intune.client.get("/beta/groups", headers=headers)
    assert resp.status == 401 and resp.content_type == "application/json"
    challenge = resp.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert ('error="invalid_token"' in challenge) is (kind == "invalid-token")
    error = (await resp.json())["error"]
    assert error["code"] == "InvalidAuthenticationToken"
    assert error["innerError"]["code"] == kind
    assert error["innerError"]["client-request-id"] == CLIENT_REQUEST_ID
    assert resp.headers["request-id"] == error["innerError"]["request-id"]


async def test_the_admin_token_does_not_open_graph_nor_a_graph_token_admin(
    intune: Intune,
) -> None:
    admin = {"Authorization": f"Bearer {intune.admin_token}"}
    assert (await intune.client.get(DC, headers=admin)).status == 401
    graph = {"Authorization": f"Bearer {await intune.graph_token()}"}
    assert (await intune.client.get("/admin/history", headers=graph)).status == 401


def test_credentials_are_settings(clock: ManualClock) -> None:
    env = {
        "DCEMU_INTUNE_TENANT_ID": "Contoso.onmicrosoft.com",
        "DCEMU_INTUNE_CLIENT_ID": "11111111-2222-4333-8444-555555555555",
        "DCEMU_INTUNE_CLIENT_SECRET": "s3cret~value.of-forty_characters0123456",
        "DCEMU_INTUNE_ACCESS_TOKEN_LIFETIME_S": "600",
        "DCEMU_ADMIN_TOKEN": "admin-token-from-the-environment",
    }
    settings = ServerSettings.from_env(env)
    assert settings.access_token_lifetime == dt.timedelta(seconds=600)
    assert settings.admin_token == env["DCEMU_ADMIN_TOKEN"]
    assert "s3cret" not in repr(settings) and "admin-token" not in repr(settings)
    app = create_app(settings, clock, Randomness(7))[GRAPH_APP]
    assert (app.tenant_id, app.client_id) == (
        "contoso.onmicrosoft.com",
        env["DCEMU_INTUNE_CLIENT_ID"],
    )
    assert app.client_secret == env["DCEMU_INTUNE_CLIENT_SECRET"]
    assert app.token_path == "/contoso.onmicrosoft.com/oauth2/v2.0/token"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DCEMU_INTUNE_TENANT_ID", "not a tenant"),
        ("DCEMU_INTUNE_CLIENT_ID", "my-app"),
        ("DCEMU_INTUNE_CLIENT_SECRET", "short"),
        ("DCEMU_INTUNE_CLIENT_SECRET", "has spaces in it, and is long enough"),
        ("DCEMU_INTUNE_ACCESS_TOKEN_LIFETIME_S", "0"),
        ("DCEMU_ADMIN_TOKEN", "guessable"),
    ],
)
def test_bad_credentials_settings_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as e:
        ServerSettings.from_env({name: value})
    assert e.value.name == name
    if name.endswith(("_SECRET", "ADMIN_TOKEN")):
        assert value not in str(e.value)  # a secret is never echoed


def test_credentials_not_given_come_from_the_seeded_randomness(clock: ManualClock) -> None:
    def made(seed: int | None) -> Any:
        return create_app(ServerSettings(), clock, Randomness(seed))[GRAPH_APP]

    assert made(3) == made(3)
    first, other = made(3), made(4)
    assert first.tenant_id != other.tenant_id and first.client_secret != other.client_secret
    assert made(None).client_secret != made(None).client_secret
    assert len(first.client_secret) >= 43


async def test_the_document_describes_the_flow(intune: Intune) -> None:
    doc = await intune.call("GET", "/openapi.json")
    flow = doc["components"]["securitySchemes"]["graphClientCredentials"]["flows"]
    # Absolute, as OpenAPI 3.1 requires: the server's own origin and the token path.
    token_url = flow["clientCredentials"]["tokenUrl"]
    assert token_url.startswith("http") and token_url.endswith(intune.graph_app.token_path)
    token_op = doc["paths"]["/{tenant}/oauth2/v2.0/token"]["post"]
    assert "application/x-www-form-urlencoded" in token_op["requestBody"]["content"]
    assert "security" not in token_op
    groups = doc["paths"]["/beta/groups"]["get"]
    assert groups["security"] == [
        {"graphClientCredentials": ["https://graph.microsoft.com/.default"]}
    ]
    schema = groups["responses"]["401"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/GraphError"}
