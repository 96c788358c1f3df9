"""`kill -9` loses nothing acknowledged: mock Intune in its own process on a SQLite file
(`intune_process`), changes made and answered, SIGKILL while more are in flight, a new process
on the same file, and every acknowledged change there."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from ..conftest import ADMIN_TOKEN
from .conftest import ALL_USERS, CONFIGS, DC, GRAPH, GRAPH_SCOPE

REPO = Path(__file__).parents[2]
SEED = 99
STARTUP_TIMEOUT_S = 30
MD = "/beta/deviceManagement/managedDevices"


class Server:
    def __init__(self, proc: asyncio.subprocess.Process, info: dict[str, Any]) -> None:
        self.proc, self.info = proc, info
        self.url: str = info["url"]

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)


@asynccontextmanager
async def server(database: Path, log: Path) -> AsyncIterator[Server]:
    """A mock Intune process on `database`, once it has said where it listens."""
    with log.open("ab") as err:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.mock_intune.intune_process", str(database), str(SEED),
            cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=err,
        )  # fmt: skip
        try:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), STARTUP_TIMEOUT_S)
            assert line, f"the server exited before listening: {log.read_text()}"
            yield Server(proc, json.loads(line))
        finally:
            if proc.returncode is None:
                proc.kill()
            await proc.wait()


class Client:
    """Just enough of Graph and the device channel, over real HTTP."""

    def __init__(self, http: aiohttp.ClientSession, url: str, graph_token: str = "") -> None:
        self.http, self.url, self.graph_token = http, url, graph_token

    async def token(self, info: dict[str, Any]) -> str:
        form = {
            "grant_type": "client_credentials",
            "client_id": info["clientId"],
            "client_secret": info["clientSecret"],
            "scope": GRAPH_SCOPE,
        }
        async with self.http.post(self.url + info["tokenPath"], data=form) as resp:
            assert resp.status == 200, await resp.text()
            self.graph_token = (await resp.json())["access_token"]
        return self.graph_token

    async def call(
        self, method: str, path: str, body: Any = None, *, status: int = 200, token: str = ""
    ) -> Any:
        if not token:
            token = self.graph_token if path.startswith("/beta") else ADMIN_TOKEN
        headers = {"Authorization": f"Bearer {token}"}
        async with self.http.request(method, self.url + path, json=body, headers=headers) as r:
            text = await r.text()
            assert r.status == status, f"{method} {path}: {r.status} {text}"
            return json.loads(text) if text else None


async def acknowledged_changes(c: Client, ca_b64: str) -> dict[str, Any]:
    """A tenant built by requests, each answered (so each acknowledged)."""
    sid = (await c.call("POST", DC, {
        "@odata.type": f"{GRAPH}deviceManagementDerivedCredentialSettings",
        "displayName": "PIV-D", "issuer": "purebred", "notificationType": "companyPortal,email",
    }, status=201))["id"]  # fmt: skip
    root = await c.call("POST", CONFIGS, {
        "@odata.type": f"{GRAPH}iosTrustedRootCertificate", "displayName": "root",
        "trustedRootCertificate": ca_b64, "certFileName": "root.cer",
    }, status=201)  # fmt: skip
    auth = await c.call("POST", CONFIGS, {
        "@odata.type": f"{GRAPH}iosDerivedCredentialAuthenticationConfiguration",
        "displayName": "app auth",
    }, status=201)  # fmt: skip
    for p in (root, auth):
        await c.call("POST", f"{CONFIGS}/{p['id']}/assign",
                     {"assignments": [{"target": ALL_USERS}]})  # fmt: skip
    device = await c.call("POST", "/device/v1/enroll", {
        "deviceName": "alice-ios", "upn": "alice@corp.example", "platform": "ios",
        "hardwareId": "udid-1",
    }, status=201)  # fmt: skip
    token = device["checkinToken"]
    answer = await c.call("POST", "/device/v1/checkin", {"credential": None}, token=token)
    assert answer["actions"] and len(answer["notifications"]) == 2
    status = {"policyId": root["id"], "version": 1, "status": "succeeded"}
    await c.call("POST", "/device/v1/status", status, status=204, token=token)
    return {"settings": sid, "profiles": [root["id"], auth["id"]], "device": device,
            "answer": answer}  # fmt: skip


async def groups_until_killed(c: Client, srv: Server, acked: list[str], after: int) -> None:
    """Create groups one after another; SIGKILL the server once `after` are answered, while
    the next is in flight."""
    for i in range(10_000):
        task = asyncio.ensure_future(
            c.call("POST", "/beta/groups", {"displayName": f"g{i}"}, status=201)
        )
        if len(acked) == after:
            await asyncio.sleep(0)  # let the request leave
            srv.kill()
        try:
            acked.append((await task)["id"])
        except aiohttp.ClientError:  # killed
            return


async def test_kill_9_loses_nothing_acknowledged(tmp_path: Path, ca_b64: str) -> None:
    database, log = tmp_path / "intune.sqlite3", tmp_path / "intune.log"
    acked: list[str] = []
    async with aiohttp.ClientSession() as http:
        async with server(database, log) as first:
            c = Client(http, first.url)
            graph_token = await c.token(first.info)
            done = await acknowledged_changes(c, ca_b64)
            await groups_until_killed(c, first, acked, after=25)
            assert await first.proc.wait() == -signal.SIGKILL
        assert len(acked) >= 25

        async with server(database, log) as second:
            assert second.info == {**first.info, "url": second.url}  # same registration
            c = Client(http, second.url, graph_token)  # the token from before still works
            settings = await c.call("GET", DC)
            assert [s["id"] for s in settings["value"]] == [done["settings"]]
            assert settings["value"][0]["notificationType"] == "companyPortal,email"
            profiles = await c.call("GET", CONFIGS)
            assert [p["id"] for p in profiles["value"]] == done["profiles"]
            for pid in done["profiles"]:
                assigned = await c.call("GET", f"{CONFIGS}/{pid}/assignments")
                assert [a["target"] for a in assigned["value"]] == [
                    {**ALL_USERS, "deviceAndAppManagementAssignmentFilterId": None,
                     "deviceAndAppManagementAssignmentFilterType": "none"}
                ]  # fmt: skip
            statuses = await c.call("GET", f"{CONFIGS}/{done['profiles'][0]}/deviceStatuses")
            assert [s["status"] for s in statuses["value"]] == ["compliant"]
            groups = {g["id"] for g in (await c.call("GET", "/beta/groups"))["value"]}
            assert set(acked) <= groups
            devices = (await c.call("GET", MD))["value"]
            assert [d["id"] for d in devices] == [done["device"]["deviceId"]]
            outbox = (await c.call("GET", "/admin/outbox"))["value"]
            assert [m["to"] for m in outbox] == ["alice@corp.example"]
            # The device's token still works; the same decision, notified once only.
            token = done["device"]["checkinToken"]
            again = await c.call("POST", "/device/v1/checkin", {"credential": None}, token=token)
            assert again["actions"] == done["answer"]["actions"]
            assert again["notifications"] == []
            new = await c.call("POST", "/beta/groups", {"displayName": "after"}, status=201)
            assert new["id"] not in groups
    on_disk = b"".join(f.read_bytes() for f in tmp_path.glob("intune.sqlite3*"))
    assert graph_token.encode() not in on_disk and token.encode() not in on_disk
