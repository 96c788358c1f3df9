"""One typed error boundary in the transport: every failure of an exchange (refused, unreachable,
timed out, TLS refused, connection lost, not JSON) is a `ServiceError` with an enumerated
problem kind, and an enrollment records it as its failure; nothing escapes `sync()`."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from agent.device import DeviceSpec
from agent.enrollment import State
from agent.errors import (
    ConnectionLostError,
    MalformedAnswerError,
    ServiceRefusedError,
    ServiceTimeoutError,
    ServiceUnreachableError,
    TlsFailureError,
)
from agent.http import Transport, retry_after_seconds
from agent.issuers import Entrust, IssuerDirectory
from agent.problems import ProblemKind
from agent.user import Workstation
from lab.report import device_entry
from lab.world import Lab
from trust_store.clock import ManualClock
from trust_store.labpki import LabPKI


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def transport(pki: LabPKI) -> AsyncIterator[Transport]:
    t = Transport([pki.tls_root.cert], timeout=2.0)
    yield t
    await t.close()


async def test_unreachable_is_typed_and_transient(transport: Transport) -> None:
    with pytest.raises(ServiceUnreachableError) as e:
        await transport.request("GET", f"https://127.0.0.1:{closed_port()}/", during="probe")
    assert e.value.kind is ProblemKind.UNREACHABLE and e.value.transient
    assert "probe" in str(e.value)


async def _plain_http_server(handler: web.Handler) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"{host}:{port}"


async def test_tls_refused_is_typed(transport: Transport) -> None:
    """A plain-HTTP server on the HTTPS URL: the handshake fails."""

    async def ok(_r: web.Request) -> web.Response:
        return web.Response(text="hello")

    runner, where = await _plain_http_server(ok)
    try:
        with pytest.raises((TlsFailureError, ConnectionLostError)) as e:
            await transport.request("GET", f"https://{where}/", during="probe")
        assert e.value.kind in (ProblemKind.TLS_FAILURE, ProblemKind.CONNECTION_LOST)
    finally:
        await runner.cleanup()


async def test_refusals_timeouts_and_bad_answers(pki: LabPKI) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        if request.path == "/busy":
            return web.json_response(
                {"type": "urn:dcemu:problem:unavailable", "status": 503, "title": "busy"},
                status=503,
                content_type="application/problem+json",
                headers={"Retry-After": "7"},
            )
        if request.path == "/odd":
            return web.json_response(
                {"type": "urn:example:problem:new-kind", "status": 409}, status=409
            )
        if request.path == "/slow":
            await asyncio.sleep(1)
        if request.path == "/list":
            return web.json_response([1, 2])
        return web.Response(text="<html>not json</html>")

    runner, where = await _plain_http_server(handler)
    transport = Transport([pki.tls_root.cert], timeout=0.3)
    base = f"http://{where}"
    try:
        with pytest.raises(ServiceRefusedError) as refused:
            await transport.request("GET", f"{base}/busy", during="probe")
        assert refused.value.kind is ProblemKind.UNAVAILABLE and refused.value.transient
        assert refused.value.retry_after == 7.0 and refused.value.status == 503
        with pytest.raises(ServiceRefusedError) as odd:
            await transport.request("GET", f"{base}/odd", during="probe")
        # A kind the agent does not know: OTHER, final, and the server's text kept for reports.
        assert odd.value.kind is ProblemKind.OTHER and not odd.value.transient
        assert odd.value.code == "urn:example:problem:new-kind"
        with pytest.raises(ServiceTimeoutError):
            await transport.request("GET", f"{base}/slow", during="probe")
        with pytest.raises(MalformedAnswerError):
            await transport.json("GET", f"{base}/html", during="probe")
        with pytest.raises(MalformedAnswerError):
            await transport.json_object("GET", f"{base}/list", during="probe")
    finally:
        await transport.close()
        await runner.cleanup()


def test_retry_after_forms() -> None:
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("99999999") == 3600.0  # capped
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past


async def test_an_unreachable_issuer_is_the_devices_typed_failure(clock: ManualClock) -> None:
    """The tenant's issuer is down: the device fails with `unreachable` in the report, and
    `sync()` returns instead of raising."""
    async with Lab.start(issuers=("entrust",), clock=clock) as lab:
        await lab.configure_tenant("entrust", families=("ios",))
        user = await lab.new_user("Alice Smith", "alice@corp.example")
        device = lab.new_device(
            DeviceSpec("iphone-1", "QA-iPhone", "ios", "17.5", "iPhone15,2", user.upn)
        )
        app = lab.credential_app(device)
        app.issuers = IssuerDirectory([Entrust(f"https://127.0.0.1:{closed_port()}")])
        workstation = Workstation(lab.transport)
        try:
            state = await app.sync(user, workstation)
        finally:
            await workstation.close()
        assert state is State.FAILED
        assert device.machine.failure is not None
        assert device.machine.failure["code"] == "unreachable"
        entry = device_entry(None, device, {})
        assert entry["failure"]["code"] == "unreachable"


async def test_an_unreachable_intune_is_recorded_not_raised(clock: ManualClock) -> None:
    async with Lab.start(issuers=("entrust",), clock=clock) as lab:
        user = await lab.new_user("Alice Smith", "alice@corp.example")
        device = lab.new_device(
            DeviceSpec("iphone-1", "QA-iPhone", "ios", "17.5", "iPhone15,2", user.upn)
        )
        app = lab.credential_app(device)
        app.intune.base_url = f"https://127.0.0.1:{closed_port()}"
        workstation = Workstation(lab.transport)
        try:
            state = await app.sync(user, workstation)
        finally:
            await workstation.close()
        assert state is State.IDLE
        assert device.sync_failure is not None and device.sync_failure["code"] == "unreachable"


def test_the_agent_knows_every_kind_the_mock_services_declare() -> None:
    """The agent compares enum members, never strings: each kind a mock service can answer
    with is a `ProblemKind` member (an unknown one would become OTHER)."""
    from mock_intune.problems import KINDS as INTUNE
    from mock_issuers.kinds import KINDS as ISSUERS
    from mock_issuers.purebred.kinds import KINDS as PUREBRED
    from mock_rp.problems import KINDS as RP

    unknown = {
        kind
        for catalog in (ISSUERS, PUREBRED, INTUNE, RP)
        for kind in catalog.kinds()
        if ProblemKind.of(kind) is ProblemKind.OTHER
    }
    assert unknown == set()
