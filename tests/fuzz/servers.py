"""Every mock server of the lab on loopback HTTPS, run by an event loop in a background thread,
for tools that call synchronously (schemathesis sends with `requests`).

    with ServedLab.start() as lab:
        target = lab.targets["entrust"]
        target.url, target.openapi, target.headers_for("/admin/faults")

The servers are the real app factories with one seeded randomness and one manual clock (which
never moves, so no session or token expires during a run). Before anything is fuzzed the lab
prepares a little state over HTTP, as a workstation and a phone would: a card, a portal
session and an activated enrollment per portal issuer, an enrolled device at mock Intune. Their
bearer tokens are sent to the routes that need them (`headers_for`), so generated requests
reach the handlers behind authentication, not only the 401 in front of them. The lab controls
get the admin token when a server has one (`ServerState.admin_token`), mock Intune's Graph
routes a token from its token endpoint when it has one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import requests
from aiohttp import web

import mock_intune
from mock_intune import ServerSettings as IntuneSettings
from mock_intune import create_app as create_intune_app
from mock_issuers import card_authority, issuer_app
from mock_issuers.purebred import app as purebred
from mock_issuers.purebred.settings import PurebredSettings
from mock_issuers.settings import CardAuthoritySettings, IssuerSettings
from mock_rp import create_app as create_rp_app
from mock_rp import server_ssl_context as rp_ssl
from mock_rp.settings import RpSettings
from servicekit.webapp import RUNNER_LIMITS, SERVER_STATE
from tests.mock_issuers.testkit import SoftCard, b64, csr_der, ec_key
from trust_store.clock import ManualClock
from trust_store.keys import private_key_pem
from trust_store.labpki import LabPKI
from trust_store.pem import cert_pem, certs_pem
from trust_store.randomness import Randomness
from trust_store.tls import server_context

START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
PORTAL_ISSUERS = ("entrust", "intercede")
#: Every listener of the lab, by the name `ServedLab.targets` uses.
SERVER_NAMES = ("card-authority", "entrust", "intercede", "purebred-console", "purebred-device",
                "intune", "rp")  # fmt: skip
T = TypeVar("T")
Headers = dict[str, str]


@dataclass
class Target:
    """One server under test: its base URL, its OpenAPI document and the headers each path
    needs (prefix -> headers; the longest matching prefix wins)."""

    name: str
    app: web.Application
    url: str
    openapi: dict[str, Any]
    auth: dict[str, Headers] = field(default_factory=dict)
    #: Sent on every request (under the path's own `auth` headers).
    headers: Headers = field(default_factory=dict)
    #: A client certificate (cert PEM file, key PEM file) for its mutual-TLS routes, if any.
    client_cert: tuple[str, str] | None = None

    def headers_for(self, path: str) -> Headers:
        matches = [p for p in self.auth if path.startswith(p)]
        own = self.auth[max(matches, key=len)] if matches else {}
        return {**self.headers, **own}


@dataclass
class ServedLab:
    pki: LabPKI
    clock: ManualClock
    targets: dict[str, Target]
    #: The lab TLS root, as a PEM file for `requests.Session.verify`.
    ca_file: str

    @classmethod
    @contextmanager
    def start(cls, seed: int = 1234, headers: Headers | None = None) -> Iterator[ServedLab]:
        """Serve the lab; `headers` go with every request a test sends through `headers_for`
        (the routes' own tokens win for the header they set)."""
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="served-lab", daemon=True)
        thread.start()
        runners: list[web.AppRunner] = []
        with tempfile.TemporaryDirectory(prefix="dcemu-fuzz-") as tmp:

            def run(coro: Coroutine[Any, Any, T]) -> T:
                future: Future[T] = asyncio.run_coroutine_threadsafe(coro, loop)
                return future.result(timeout=120)

            try:
                lab = run(_build(Path(tmp), seed, runners))
                for target in lab.targets.values():
                    target.headers = dict(headers or {})
                _prepare(lab, Path(tmp))
                yield lab
            finally:
                for runner in reversed(runners):
                    run(runner.cleanup())
                loop.call_soon_threadsafe(loop.stop)
                thread.join(timeout=30)
                loop.close()

    def session(self) -> requests.Session:
        s = requests.Session()
        s.trust_env = False  # REQUESTS_CA_BUNDLE and proxies must not apply to loopback
        s.verify = self.ca_file
        return s


async def _serve(
    app: web.Application, ctx: Any, runners: list[web.AppRunner], host: str = "127.0.0.1"
) -> str:
    runner = web.AppRunner(app, access_log=None, **RUNNER_LIMITS)
    await runner.setup()
    runners.append(runner)
    await web.TCPSite(runner, host, 0, ssl_context=ctx).start()
    bound_host, port = runner.addresses[0][:2]
    return f"https://{bound_host}:{port}"


async def _build(tmp: Path, seed: int, runners: list[web.AppRunner]) -> ServedLab:
    clock = ManualClock(START)
    rand = Randomness(seed)
    pki = LabPKI.create(clock, rand, (*PORTAL_ISSUERS, "purebred"))
    ca_file = tmp / "lab-tls-root.pem"
    ca_file.write_bytes(cert_pem(pki.tls_root.cert))
    targets: dict[str, Target] = {}

    ca_settings = CardAuthoritySettings(escrow_clients=frozenset({*PORTAL_ISSUERS, "purebred"}))
    ca_app = card_authority.create_app(ca_settings, pki, clock, rand.child("card-authority"))
    url = await _serve(ca_app, card_authority.server_ssl_context(pki), runners)
    ca_settings.public_url.set(url)
    targets["card-authority"] = Target("card-authority", ca_app, url, {})

    for name in PORTAL_ISSUERS:
        settings = IssuerSettings(card_authority_url=ca_settings.public_url)
        app = issuer_app.create_app(name, settings, pki, clock, rand.child(name))
        url = await _serve(app, issuer_app.server_ssl_context(pki, name), runners)
        settings.public_url.set(url)
        targets[name] = Target(name, app, url, {})

    pb_settings = PurebredSettings(card_authority_url=ca_settings.public_url)
    apps = purebred.create_apps(pb_settings, pki, clock, rand.child("purebred"))
    url = await _serve(apps.console, purebred.console_ssl_context(pki), runners)
    pb_settings.public_url.set(url)
    targets["purebred-console"] = Target("purebred-console", apps.console, url, {})
    host = pb_settings.on_premises_host
    url = await _serve(apps.device, purebred.device_ssl_context(pki, host), runners, host)
    pb_settings.device_url.set(url)
    targets["purebred-device"] = Target("purebred-device", apps.device, url, {})

    intune = create_intune_app(IntuneSettings(), clock, rand.child("intune"))
    cred = pki.server_credential("intune")
    url = await _serve(intune, server_context(cred.chain, cred.key), runners)
    targets["intune"] = Target("intune", intune, url, {})

    rp = create_rp_app(RpSettings(), pki, clock, rand.child("rp"))
    url = await _serve(rp, rp_ssl(pki, RpSettings()), runners)
    targets["rp"] = Target("rp", rp, url, {})

    for target in targets.values():
        token = getattr(target.app[SERVER_STATE], "admin_token", None)
        if token:
            target.auth["/admin"] = {"Authorization": f"Bearer {token}"}
    return ServedLab(pki, clock, targets, str(ca_file))


def _prepare(lab: ServedLab, tmp: Path) -> None:
    """Fetch each server's document as it serves it, and make the state the fuzzed requests
    build on."""
    with lab.session() as http:
        _prepare_with(lab, tmp, http)


def _prepare_with(lab: ServedLab, tmp: Path, http: requests.Session) -> None:
    for target in lab.targets.values():
        answer = http.get(f"{target.url}/openapi.json", headers=target.headers_for("/openapi"))
        answer.raise_for_status()
        target.openapi = answer.json()
    ca = lab.targets["card-authority"]
    card = SoftCard.new("Fuzz Person", "fuzz@agency.example")
    answer = http.post(
        f"{ca.url}/admin/cards", json=card.request(0), headers=ca.headers_for("/admin/cards")
    )
    answer.raise_for_status()
    card.answer = answer.json()
    cert_file, key_file = tmp / "card.pem", tmp / "card-key.pem"
    cert_file.write_bytes(certs_pem([card.auth_cert, card.chain[0]]))
    key_file.write_bytes(private_key_pem(card.auth_key))
    for name in PORTAL_ISSUERS:
        target = lab.targets[name]
        target.client_cert = (str(cert_file), str(key_file))
        _prepare_portal_issuer(target, card, http)
    _prepare_intune(lab.targets["intune"], http)


def _prepare_portal_issuer(target: Target, card: SoftCard, http: requests.Session) -> None:
    session = http.post(f"{target.url}/portal/session", cert=target.client_cert)
    session.raise_for_status()
    portal = {"Authorization": f"Bearer {session.json()['session']}"}
    target.auth["/portal"] = portal
    enrollment = http.post(
        f"{target.url}/portal/enrollments", json={}, headers=portal, cert=target.client_cert
    )
    enrollment.raise_for_status()
    doc = enrollment.json()
    service = target.app[issuer_app.ISSUER_SERVICE]
    token = service.enrollments.get(doc["id"]).token
    body: dict[str, Any] = {
        "token": token,
        "upn": card.upn,
        "device": {"id": "fuzz-1", "platform": "ios", "osVersion": "18.1", "model": "iPhone"},
    }
    if doc.get("password") is not None:
        body["password"] = doc["password"]
    activated = http.post(f"{target.url}/device/v1/activations", json=body)
    activated.raise_for_status()
    device = {"Authorization": f"Bearer {activated.json()['accessToken']}"}
    target.auth["/.well-known/est/"] = device
    target.auth["/device/v1/enrollments/"] = device
    # One certificate issued, so the EST routes also meet "already issued" and the people
    # route meets an enrollment to re-key.
    answer = http.post(
        f"{target.url}/.well-known/est/pivauth/simpleenroll",
        data=b64(csr_der(ec_key())),
        headers={**device, "Content-Type": "application/pkcs10"},
    )
    answer.raise_for_status()


def _prepare_intune(target: Target, http: requests.Session) -> None:
    graph_app = getattr(mock_intune, "GRAPH_APP", None)
    if graph_app is not None and graph_app in target.app:
        registration = target.app[graph_app]
        answer = http.post(
            target.url + registration.token_path,
            data={
                "grant_type": "client_credentials",
                "client_id": registration.client_id,
                "client_secret": registration.client_secret,
                "scope": "https://graph.microsoft.com/.default",
            },
        )
        answer.raise_for_status()
        target.auth["/beta"] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    enrolled = http.post(
        f"{target.url}/device/v1/enroll",
        json={"deviceName": "fuzz-ios", "upn": "fuzz@corp.example", "platform": "ios"},
    )
    enrolled.raise_for_status()
    target.auth["/device/v1/"] = {"Authorization": f"Bearer {enrolled.json()['checkinToken']}"}
