"""Fixtures for the mock Intune tests: an app on plain HTTP through `aiohttp_client`, a small
Graph/device client (it gets a Graph token by client credentials and sends it on `/beta`, and
the admin token on `/admin`), and certificates generated per session (never committed)."""

from __future__ import annotations

import base64
import copy
import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from mock_intune import GRAPH_APP, TENANT, GraphApp, ServerSettings, Tenant, create_app
from trust_store.clock import ManualClock, isoformat
from trust_store.problems import PROBLEM_JSON, TYPE_BASE
from trust_store.randomness import Randomness

GRAPH = "#microsoft.graph."
DC = "/beta/deviceManagement/derivedCredentials"
CONFIGS = "/beta/deviceManagement/deviceConfigurations"


def _cert(ca: bool, start: dt.datetime) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA" if ca else "leaf")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(cert.public_bytes(Encoding.DER)).decode()


@pytest.fixture(scope="session")
def ca_b64() -> str:
    return _cert(True, dt.datetime(2025, 1, 1, tzinfo=dt.UTC))


@pytest.fixture(scope="session")
def leaf_b64() -> str:
    return _cert(False, dt.datetime(2025, 1, 1, tzinfo=dt.UTC))


GRAPH_SCOPE = "https://graph.microsoft.com/.default"


def graph_error_view(doc: dict[str, Any], status: int) -> dict[str, Any]:
    """A Graph error body checked for Graph's shape, seen as the problem document it answers
    (type from `innerError.code`, detail from `message`, field from `target`, and the other
    `innerError` members), so one assertion style serves both surfaces."""
    assert set(doc) == {"error"}, doc
    error = doc["error"]
    assert isinstance(error["code"], str) and error["code"] and "message" in error, doc
    inner = dict(error["innerError"])
    assert inner.pop("date") and inner.pop("request-id") and inner.pop("client-request-id"), doc
    view = {"type": TYPE_BASE + inner.pop("code"), "status": status, "detail": error["message"]}
    if "target" in error:
        view["field"] = error["target"]
    return {**view, **inner, "graphCode": error["code"]}


class Intune:
    """A thin Graph + device-channel client over the test client; asserts statuses. `/beta`
    calls carry a Graph token got by client credentials, `/admin` calls the admin token."""

    def __init__(
        self, client: TestClient[Any, Any], clock: ManualClock, ca_b64: str, admin_token: str
    ) -> None:
        self.client = client
        self.clock = clock
        self.ca_b64 = ca_b64
        self.admin_token = admin_token
        self._graph_token: tuple[str, dt.datetime] | None = None

    @property
    def graph_app(self) -> GraphApp:
        app = self.client.app
        assert app is not None
        return app[GRAPH_APP]

    def token_form(self, **over: str) -> dict[str, str]:
        """A good client-credentials request, with `over` replacing fields."""
        return {
            "grant_type": "client_credentials",
            "client_id": self.graph_app.client_id,
            "client_secret": self.graph_app.client_secret,
            "scope": GRAPH_SCOPE,
            **over,
        }

    async def new_graph_token(self) -> tuple[str, dt.datetime]:
        """A new Graph token and when it expires on the lab clock."""
        resp = await self.client.post(self.graph_app.token_path, data=self.token_form())
        assert resp.status == 200, await resp.text()
        doc = await resp.json()
        expires = self.clock.now() + dt.timedelta(seconds=doc["expires_in"])
        return str(doc["access_token"]), expires

    def use_graph_token(self, token: str, expires: dt.datetime) -> None:
        """Send `token` on `/beta` until `expires` (a token got from an earlier server)."""
        self._graph_token = (token, expires)

    @property
    def graph_token_held(self) -> tuple[str, dt.datetime] | None:
        return self._graph_token

    async def graph_token(self) -> str:
        """The Graph token held, or a new one once the clock has passed its expiry."""
        if self._graph_token is None or self.clock.now() >= self._graph_token[1]:
            self._graph_token = await self.new_graph_token()
        return self._graph_token[0]

    async def auth(self, path: str) -> dict[str, str]:
        """The `Authorization` header `path` needs: a Graph token, the admin token, or none."""
        if path.startswith("/beta"):
            return {"Authorization": f"Bearer {await self.graph_token()}"}
        if path.startswith("/admin"):
            return {"Authorization": f"Bearer {self.admin_token}"}
        return {}

    @property
    def tenant(self) -> Tenant:
        app = self.client.app
        assert app is not None
        tenant: Tenant = app[TENANT]
        return tenant

    def snapshot(self) -> Tenant:
        return copy.deepcopy(self.tenant)

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        status: int = 200,
        token: str | None = None,
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else await self.auth(path)
        resp = await self.client.request(
            method, path, json=body if body is not None else None, headers=headers
        )
        text = await resp.text()
        assert resp.status == status, f"{method} {path}: {resp.status} {text}"
        doc = await resp.json(content_type=None) if text else None
        if resp.status >= 400 and path.startswith("/beta"):
            assert resp.content_type == "application/json"
            return graph_error_view(doc, resp.status)
        if resp.status >= 400:
            assert resp.content_type == PROBLEM_JSON
        return doc

    async def problem(
        self, method: str, path: str, body: Any, status: int, kind: str, **kw: Any
    ) -> dict[str, Any]:
        doc: dict[str, Any] = await self.call(method, path, body, status=status, **kw)
        assert doc["type"] == f"urn:dcemu:problem:{kind}", doc
        return doc

    # --- admin --------------------------------------------------------------------------------

    async def add_settings(self, **over: Any) -> dict[str, Any]:
        body = {
            "@odata.type": f"{GRAPH}deviceManagementDerivedCredentialSettings",
            "displayName": "PIV-D issuer",
            "issuer": "entrustDatacard",
            "notificationType": "companyPortal",
            "helpUrl": "https://help.corp.example/pivd",
            **over,
        }
        doc: dict[str, Any] = await self.call("POST", DC, body, status=201)
        return doc

    async def add_root(self, **over: Any) -> dict[str, Any]:
        body = {
            "@odata.type": f"{GRAPH}iosTrustedRootCertificate",
            "displayName": "RADIUS root",
            "trustedRootCertificate": self.ca_b64,
            "certFileName": "radius-root.cer",
            **over,
        }
        doc: dict[str, Any] = await self.call("POST", CONFIGS, body, status=201)
        return doc

    def wifi_body(self, root_ids: Sequence[str] = (), /, **over: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "@odata.type": f"{GRAPH}iosEnterpriseWiFiConfiguration",
            "displayName": "Corp Wi-Fi DC",
            "ssid": "CORP",
            "networkName": "CORP",
            "connectAutomatically": True,
            "wiFiSecurityType": "wpa2Enterprise",
            "eapType": "eapTls",
            "authenticationMethod": "derivedCredential",
            "trustedServerCertificateNames": ["radius.corp.example"],
            **over,
        }
        if root_ids:
            body["rootCertificatesForServerValidation@odata.bind"] = [
                f"https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations/{r}"
                for r in root_ids
            ]
        return body

    async def add_wifi(self, root_ids: Sequence[str] = (), /, **over: Any) -> dict[str, Any]:
        doc: dict[str, Any] = await self.call(
            "POST", CONFIGS, self.wifi_body(root_ids, **over), status=201
        )
        return doc

    async def assign(self, profile_id: str, *targets: dict[str, Any]) -> list[dict[str, Any]]:
        doc = await self.call(
            "POST",
            f"{CONFIGS}/{profile_id}/assign",
            {"assignments": [{"target": t} for t in targets]},
        )
        value: list[dict[str, Any]] = doc["value"]
        return value

    async def add_group(self, name: str, *members: str) -> str:
        doc = await self.call(
            "POST", "/beta/groups", {"displayName": name, "members": list(members)}, status=201
        )
        return str(doc["id"])

    # --- device -------------------------------------------------------------------------------

    async def enroll(
        self, upn: str = "alice@corp.example", platform: str = "ios"
    ) -> tuple[str, str]:
        doc = await self.call(
            "POST",
            "/device/v1/enroll",
            {
                "deviceName": f"{upn.split('@')[0]}-{platform}",
                "upn": upn,
                "platform": platform,
                "osVersion": "17.4",
                "model": "iPhone15,2",
                "enrollmentType": "",
            },
            status=201,
        )
        return str(doc["deviceId"]), str(doc["checkinToken"])

    async def checkin(self, token: str, credential: dict[str, Any] | None = None) -> dict[str, Any]:
        doc: dict[str, Any] = await self.call(
            "POST", "/device/v1/checkin", {"credential": credential}, token=token
        )
        return doc

    def credential(
        self, settings_id: str, *, days: int = 365, issuer: str = "entrustDatacard"
    ) -> dict[str, Any]:
        """A credential issued now with a lifetime of `days`."""
        now = self.clock.now()
        return {
            "issuer": issuer,
            "thumbprint": "ab" * 32,
            "notBefore": isoformat(now),
            "notAfter": isoformat(now + dt.timedelta(days=days)),
            "settingsId": settings_id,
        }


ALL_USERS = {"@odata.type": f"{GRAPH}allLicensedUsersAssignmentTarget"}
ALL_DEVICES = {"@odata.type": f"{GRAPH}allDevicesAssignmentTarget"}


def group_target(group_id: str, exclude: bool = False) -> dict[str, Any]:
    kind = "exclusionGroupAssignmentTarget" if exclude else "groupAssignmentTarget"
    return {"@odata.type": f"{GRAPH}{kind}", "groupId": group_id}


MakeIntune = Callable[..., Awaitable[Intune]]


@pytest.fixture
def make_intune(
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
    clock: ManualClock,
    rand: Randomness,
    ca_b64: str,
    admin_token: str,
) -> MakeIntune:
    async def make(**settings: Any) -> Intune:
        app = create_app(ServerSettings(admin_token=admin_token, **settings), clock, rand)
        return Intune(await aiohttp_client(app), clock, ca_b64, admin_token)

    return make


@pytest.fixture
async def intune(make_intune: MakeIntune) -> Intune:
    return await make_intune()
