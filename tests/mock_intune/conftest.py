"""Fixtures for the mock Intune tests: an app on plain HTTP through `aiohttp_client`, a small
Graph/device client, and certificates generated per session (never committed)."""

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

from mock_intune import TENANT, ServerSettings, Tenant, create_app
from trust_store.clock import ManualClock, isoformat
from trust_store.problems import PROBLEM_JSON
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


class Intune:
    """A thin Graph + device-channel client over the test client; asserts statuses."""

    def __init__(self, client: TestClient[Any, Any], clock: ManualClock, ca_b64: str) -> None:
        self.client = client
        self.clock = clock
        self.ca_b64 = ca_b64

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
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        resp = await self.client.request(
            method, path, json=body if body is not None else None, headers=headers
        )
        text = await resp.text()
        assert resp.status == status, f"{method} {path}: {resp.status} {text}"
        if resp.status >= 400:
            assert resp.content_type == PROBLEM_JSON
        return await resp.json(content_type=None) if text else None

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
) -> MakeIntune:
    async def make(**settings: Any) -> Intune:
        app = create_app(ServerSettings(**settings), clock, rand)
        return Intune(await aiohttp_client(app), clock, ca_b64)

    return make


@pytest.fixture
async def intune(make_intune: MakeIntune) -> Intune:
    return await make_intune()
