"""`kill -9` of a real server process on SQLite, then a restart on the same state directory with
the same seed: nothing acknowledged is lost, nothing is issued twice, every certificate issued
before gets its OCSP answer at the same URL. `persistent_servers.py` runs the card authority and
Entrust from their app factories; the last test runs `dcemu serve` itself."""

from __future__ import annotations

import asyncio
import base64
import json
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography import x509

from tests.mock_issuers.persistent_servers import ADMIN_TOKEN
from tests.mock_issuers.restart_kit import ocsp_status
from tests.mock_issuers.testkit import SoftCard, b64, csr_der, device_body, ec_key, scan_qr
from tests.mock_issuers.testkit import split_certs_only as split
from trust_store import tls

ROOT = Path(__file__).resolve().parents[2]
#: How long a server process may take to print where it listens.
START_TIMEOUT = 60
#: What a started process says: its URLs by service, and its admin token.
Ready = tuple[dict[str, str], str]


class Server:
    """One run of a server process on the state directory."""

    def __init__(self, proc: asyncio.subprocess.Process, ready: Ready, root: Path) -> None:
        self.proc = proc
        self.urls, token = ready
        self.admin = {"Authorization": f"Bearer {token}"}
        self.anchor = x509.load_pem_x509_certificate(root.read_bytes())
        self.sessions: list[aiohttp.ClientSession] = []

    def http(self, card: SoftCard | None = None, **headers: str) -> aiohttp.ClientSession:
        chain = {} if card is None else {"client_chain": [card.auth_cert, card.chain[0]]}
        key = {} if card is None else {"client_key": card.auth_key}
        ctx = tls.client_context([self.anchor], **chain, **key)  # type: ignore[arg-type]
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx), headers=headers)
        self.sessions.append(session)
        return session

    async def kill(self) -> None:
        """SIGKILL: no clean-up of any kind runs in the server."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
        await asyncio.wait_for(self.proc.wait(), 30)
        for session in self.sessions:
            await session.close()


async def start(command: list[str], state: Path, ready: Callable[[str], Ready | None]) -> Server:
    """Run `command` and wait (bounded) for `ready(line)` to give its URLs."""
    log = (state / "server.log").open("ab")
    proc = await asyncio.create_subprocess_exec(
        *command, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=log
    )
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(START_TIMEOUT):
            while True:
                line = (await proc.stdout.readline()).decode()
                assert line, (state / "server.log").read_text()[-3000:]
                said = ready(line)
                if said is not None:
                    return Server(proc, said, state / "tls-root.pem")
    except BaseException:
        proc.kill()
        await proc.wait()
        raise
    finally:
        log.close()


async def persistent(state: Path, seed: int = 11) -> Server:
    command = [sys.executable, "-m", "tests.mock_issuers.persistent_servers", str(state), str(seed)]
    return await start(command, state, lambda line: (json.loads(line), ADMIN_TOKEN))


@pytest.fixture
async def servers() -> AsyncIterator[list[Server]]:
    """Every server a test started (killed at the end whatever happened)."""
    started: list[Server] = []
    try:
        yield started
    finally:
        for server in started:
            await server.kill()


async def issue_card(server: Server, upn: str) -> SoftCard:
    card = SoftCard.new(upn.split("@")[0].title(), upn)
    async with server.http(**server.admin).post(
        f"{server.urls['card-authority']}/admin/cards", json=card.request(0)
    ) as r:
        assert r.status == 201, await r.text()
        card.answer = await r.json()
    return card


async def admin_get(server: Server, service: str, path: str) -> Any:
    async with server.http(**server.admin).get(server.urls[service] + path) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def qr_code(server: Server, card: SoftCard) -> tuple[str, str]:
    """Sign in at Entrust's portal with the card, ask for an enrollment, read its QR code."""
    url, browser = server.urls["entrust"], server.http(card)
    async with browser.post(f"{url}/portal/session") as r:
        assert r.status == 201, await r.text()
        auth = {"Authorization": f"Bearer {(await r.json())['session']}"}
    async with browser.post(f"{url}/portal/enrollments", json={}, headers=auth) as r:
        doc = await r.json()
    async with browser.get(url + doc["qr"], headers=auth) as r:
        token = scan_qr(await r.read()).removeprefix("dcemu:entrust:1:")
    return token, doc["password"]


async def activate(server: Server, card: SoftCard, qr: tuple[str, str]) -> aiohttp.ClientResponse:
    token, password = qr
    http = server.http()
    return await http.post(
        f"{server.urls['entrust']}/device/v1/activations",
        json=device_body(token, card.upn, password),
    )


async def test_kill_9_mid_burst_then_restart_loses_nothing_acknowledged(
    tmp_path: Path, servers: list[Server]
) -> None:
    server = await persistent(tmp_path)
    servers.append(server)
    # A burst of card issuances, killed as soon as three are acknowledged.
    tasks = [asyncio.create_task(issue_card(server, f"u{i}@agency.example")) for i in range(8)]
    acknowledged: list[SoftCard] = []
    for done in asyncio.as_completed(tasks):
        try:
            acknowledged.append(await done)
        except (aiohttp.ClientError, AssertionError):
            continue
        if len(acknowledged) == 3:
            await server.kill()
    assert len(acknowledged) >= 3

    server = await persistent(tmp_path)
    servers.append(server)
    cards = (await admin_get(server, "card-authority", "/admin/cards"))["cards"]
    listed = [c["cardUuid"] for c in cards]
    assert len(set(listed)) == len(listed)
    assert {c.uuid for c in acknowledged} <= set(listed)
    serials = [s for c in cards for s in c["certificates"]]
    assert len(set(serials)) == len(serials)
    http = server.http()
    for card in acknowledged:  # at the URL written into the certificate
        assert await ocsp_status(http, card.auth_cert, card.chain[0]) == ("good", None)

    # On the restarted process: Alice enrolls a device, Bob gets a QR code, Carol's card is
    # revoked; then kill -9 right after the last acknowledged answer.
    alice, bob, carol = acknowledged[:3]
    alice_qr = await qr_code(server, alice)
    async with await activate(server, alice, alice_qr) as r:
        assert r.status == 201, await r.text()
        access = (await r.json())["accessToken"]
    async with server.http(Authorization=f"Bearer {access}").post(
        f"{server.urls['entrust']}/.well-known/est/pivauth/simpleenroll",
        data=b64(csr_der(ec_key())),
        headers={"Content-Type": "application/pkcs10"},
    ) as r:
        assert r.status == 200, await r.text()
        derived, [issuing] = split(base64.b64decode(await r.read()))
    bob_qr = await qr_code(server, bob)
    async with server.http(**server.admin).post(
        f"{server.urls['card-authority']}/admin/cards/{carol.uuid}/revoke",
        json={"reason": "keyCompromise"},
    ) as r:
        assert r.status == 200
    await server.kill()

    server = await persistent(tmp_path)
    servers.append(server)
    http = server.http()
    assert await ocsp_status(http, derived, issuing) == ("good", None)
    assert await ocsp_status(http, carol.auth_cert, carol.chain[0]) == ("revoked", "keyCompromise")
    assert await ocsp_status(http, alice.auth_cert, alice.chain[0]) == ("good", None)
    [item] = [
        i
        for i in (await admin_get(server, "entrust", "/admin/issued"))["issued"]
        if i["serial"] == f"{derived.serial_number:x}"
    ]
    assert (item["cardUuid"], item["deviceId"], item["status"]) == (alice.uuid, "dev-1", "good")
    async with await activate(server, alice, alice_qr) as r:
        assert r.status == 409  # token-used
    async with await activate(server, bob, bob_qr) as r:
        assert r.status == 201, await r.text()  # the pending QR code
    dave = await issue_card(server, "dave@agency.example")
    cards = (await admin_get(server, "card-authority", "/admin/cards"))["cards"]
    assert uuid.UUID(dave.uuid) not in {uuid.UUID(u) for u in listed}
    serials = [s for c in cards for s in c["certificates"]]
    assert len(set(serials)) == len(serials)
    assert {c["cardUuid"]: c["status"] for c in cards}[carol.uuid] == "revoked"


async def test_dcemu_serve_keeps_cards_across_kill_9(tmp_path: Path, servers: list[Server]) -> None:
    """The lab wiring: `dcemu serve --state-dir` gives every service its SQLite storage."""
    command = [sys.executable, "-m", "lab.cli", "serve", "--state-dir", str(tmp_path)]
    command += ["--issuer", "entrust", "--seed", "5"]

    def ready(line: str) -> Ready | None:
        if "Ctrl-C stops." not in line:
            return None
        lab = json.loads((tmp_path / "lab.json").read_text())
        (tmp_path / "tls-root.pem").write_bytes((tmp_path / "trust" / "tls-root.pem").read_bytes())
        return {name: svc["url"] for name, svc in lab["services"].items()}, lab["adminToken"]

    server = await start(command, tmp_path, ready)
    servers.append(server)
    card = await issue_card(server, "erin@agency.example")
    await server.kill()
    server = await start(command, tmp_path, ready)
    servers.append(server)
    cards = (await admin_get(server, "card-authority", "/admin/cards"))["cards"]
    assert [c["cardUuid"] for c in cards] == [card.uuid]
    assert await ocsp_status(server.http(), card.auth_cert, card.chain[0]) == ("good", None)
    again = await issue_card(server, "frank@agency.example")  # the same seed, a new UUID
    assert again.uuid != card.uuid
    assert again.auth_cert.serial_number != card.auth_cert.serial_number
