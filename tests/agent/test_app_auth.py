"""App authentication: a managed app presents the derived PIV Authentication credential from the
device's keychain to a relying party (mock_rp) over real loopback mutual TLS; the relying party
validates the chain and asks the issuer's OCSP responder (an in-test server) for its status."""

from __future__ import annotations

import datetime as dt
import re
import ssl
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace

import aiohttp
import pytest
from aiohttp import web
from cryptography import x509

from agent.apps import (
    AppAccessDeniedError,
    ManagedApp,
    NoCredentialError,
    RelyingPartyRefusedError,
    RelyingPartyUnreachableError,
)
from mock_rp import RpConfigError, RpSettings, create_app, server_ssl_context
from mock_rp.app import VERIFIER
from servicekit.webapp import SERVER_STATE
from trust_store import certprofiles as cp
from trust_store import tls
from trust_store.clock import ManualClock
from trust_store.errors import AccessDeniedError
from trust_store.keys import KeyAlgorithm, PrivateKey, generate_key
from trust_store.labpki import Hierarchy, LabPKI
from trust_store.oids import FPKI_COMMON_POLICY
from trust_store.problems import PROBLEM_JSON, TYPE_BASE
from trust_store.randomness import Randomness
from trust_store.stores import CredentialRole, Identity
from trust_store.stores.ios_keychain import SHARED_GROUP, IOSKeychain

FIELD_APP = "gov.agency.fieldapp"
ALICE = cp.Subject(
    "Alice Smith",
    organization="dcemu lab",
    card_uuid=uuid.UUID("5f0c3c1e-8d2b-4c55-9a3e-2b7d2f1a9e01"),
    upn="alice@corp.example",
    email="alice@corp.example",
)


async def _serve(
    app: web.Application, ctx: ssl.SSLContext | None = None
) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ctx).start()
    host, port = runner.addresses[0][:2]
    return runner, f"{'https' if ctx else 'http'}://{host}:{port}"


@dataclass
class Lab:
    pki: LabPKI
    clock: ManualClock
    rp_app: web.Application
    rp_url: str
    store: IOSKeychain
    ocsp_requests: list[bytes]
    ocsp_url: str
    runners: list[web.AppRunner] = field(default_factory=list)

    def app(self, app_id: str = FIELD_APP) -> ManagedApp:
        return ManagedApp(app_id, self.store, [self.pki.tls_root.cert], self.clock)

    def install(
        self, cert: x509.Certificate, key: PrivateKey, chain: tuple[x509.Certificate, ...]
    ) -> Identity:
        for old in self.store.all_identities():
            self.store.remove_identity(old.ref)
        return self.store.add_identity(
            Identity(
                "PIVAUTH",
                CredentialRole.PIV_AUTH,
                key,
                cert,
                chain,
                "Derived credential (pivAuthentication)",
                SHARED_GROUP,
                issuer="entrust",
            )
        )

    def issue_derived(
        self, profile: cp.CertProfile = cp.DERIVED_PIV_AUTH, issuer: str = "entrust"
    ) -> Identity:
        key = generate_key(KeyAlgorithm.EC_P256)
        h = self.pki.derived[issuer]
        cert = h.issuing.issue(key.public_key(), ALICE, profile)
        return self.install(cert, key, tuple(h.intermediates))

    def rp_history(self) -> list[str]:
        return [h.path for h in self.rp_app[SERVER_STATE].history]


@pytest.fixture
async def lab(pki: LabPKI, clock: ManualClock, rand: Randomness) -> AsyncIterator[Lab]:
    entrust = pki.derived["entrust"]
    seen: list[bytes] = []

    async def ocsp(request: web.Request) -> web.Response:
        body = await request.read()
        seen.append(body)
        return web.Response(
            body=entrust.responder.respond(body), content_type="application/ocsp-response"
        )

    responder = web.Application()
    responder.router.add_post("/ocsp", ocsp)
    cred = pki.server_credential("ocsp")
    ocsp_runner, ocsp_base = await _serve(responder, tls.server_context(cred.chain, cred.key))
    entrust.issuing.urls.ocsp = f"{ocsp_base}/ocsp"

    rp_app = create_app(RpSettings(), pki, clock, rand)
    rp_runner, rp_url = await _serve(rp_app, server_ssl_context(pki, RpSettings()))
    store = IOSKeychain()
    store.register_app(FIELD_APP, {SHARED_GROUP})
    lab = Lab(
        pki, clock, rp_app, rp_url, store, seen, f"{ocsp_base}/ocsp", [rp_runner, ocsp_runner]
    )
    try:
        yield lab
    finally:
        for r in lab.runners:
            await r.cleanup()


def assert_problem(err: RelyingPartyRefusedError, status: int, kind: str) -> None:
    assert err.status == status, err
    assert err.problem.type_uri == TYPE_BASE + kind, err
    assert err.code == kind


# --- the happy path --------------------------------------------------------------------------


async def test_entitled_app_signs_in_with_the_derived_credential(lab: Lab) -> None:
    ident = lab.issue_derived()
    who = await lab.app().whoami(lab.rp_url)
    assert who["cardUuid"] == str(ALICE.card_uuid)
    assert who["subject"] == ident.cert.subject.rfc4514_string()
    assert who["commonName"] == "Alice Smith"
    assert who["upn"] == "alice@corp.example"
    assert who["issuer"] == lab.pki.derived["entrust"].issuing.cert.subject.rfc4514_string()
    assert who["issuerName"] == "entrust"
    assert who["serialNumber"] == f"{ident.cert.serial_number:x}"
    assert who["status"] == "good"
    assert who["policies"] == ["2.16.840.1.101.3.2.1.3.40"]
    # The RP asked the issuer's responder (AIA URL) once, and saw a client certificate.
    assert len(lab.ocsp_requests) == 1
    assert [(h.path, h.status, h.client_cert) for h in lab.rp_app[SERVER_STATE].history] == [
        ("/app/whoami", 200, True)
    ]


async def test_renewed_credential_is_presented(lab: Lab) -> None:
    app = lab.app()
    first = lab.issue_derived()
    assert (await app.whoami(lab.rp_url))["serialNumber"] == f"{first.cert.serial_number:x}"
    second = lab.issue_derived()
    assert (await app.whoami(lab.rp_url))["serialNumber"] == f"{second.cert.serial_number:x}"


# --- refusals on the device --------------------------------------------------------------------


async def test_unentitled_app_is_refused_before_any_connection(lab: Lab) -> None:
    lab.issue_derived()
    with pytest.raises(AppAccessDeniedError, match="not entitled") as err:
        await lab.app("com.example.unmanaged").whoami(lab.rp_url)
    assert isinstance(err.value, AccessDeniedError)
    assert err.value.code == "credential-access-denied"
    assert lab.rp_history() == [] and lab.ocsp_requests == []


async def test_no_credential_on_the_device(lab: Lab) -> None:
    with pytest.raises(NoCredentialError):
        await lab.app().whoami(lab.rp_url)
    assert lab.rp_history() == []


async def test_expired_credential_is_not_offered(lab: Lab) -> None:
    lab.issue_derived()
    lab.clock.advance(dt.timedelta(days=4 * 365))
    with pytest.raises(NoCredentialError):
        await lab.app().whoami(lab.rp_url)


# --- refusals by the relying party -----------------------------------------------------------


async def test_no_client_certificate_is_a_401_problem(lab: Lab) -> None:
    ctx = tls.client_context([lab.pki.tls_root.cert])
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as s:
        async with s.get(f"{lab.rp_url}/app/whoami") as resp:
            assert resp.status == 401
            assert resp.content_type == PROBLEM_JSON
            doc = await resp.json(content_type=PROBLEM_JSON)
        assert doc["type"] == TYPE_BASE + "client-certificate-required"
        assert doc["instance"] == "/app/whoami"
        # what needs no certificate still answers
        async with s.get(f"{lab.rp_url}/openapi.json") as resp:
            spec = await resp.json()
    assert "mutualTLS" in str(spec["components"]["securitySchemes"])
    assert "/app/whoami" in spec["paths"]


async def test_revoked_credential_is_a_403_problem(lab: Lab) -> None:
    ident = lab.issue_derived()
    lab.pki.derived["entrust"].issuing.revoke(
        ident.cert.serial_number, x509.ReasonFlags.key_compromise
    )
    with pytest.raises(RelyingPartyRefusedError) as err:
        await lab.app().whoami(lab.rp_url)
    assert_problem(err.value, 403, "credential-revoked")


async def test_piv_card_certificate_is_refused_in_the_handshake(lab: Lab) -> None:
    """A certificate of another hierarchy (the PIV card CA) is not among the RP's client CAs."""
    key = generate_key(KeyAlgorithm.EC_P256)
    cert = lab.pki.piv.issuing.issue(key.public_key(), ALICE, cp.PIV_CARD_AUTH)
    lab.install(cert, key, tuple(lab.pki.piv.intermediates))
    with pytest.raises(RelyingPartyUnreachableError, match="refused the client certificate"):
        await lab.app().whoami(lab.rp_url)
    assert lab.rp_history() == [] and lab.ocsp_requests == []


@pytest.mark.parametrize(
    ("profile", "why"),
    [
        (
            replace(cp.DERIVED_PIV_AUTH, policies=(FPKI_COMMON_POLICY,)),
            "lacks 2.16.840.1.101.3.2.1.3.40",
        ),
        (cp.TLS_SERVER, "2.5.29.32"),  # no certificatePolicies at all
    ],
    ids=["other-policy", "no-policies"],
)
async def test_derived_ca_certificate_without_the_derived_policy_is_a_403(
    lab: Lab, profile: cp.CertProfile, why: str
) -> None:
    """Chains to a trusted derived root and has clientAuth, but lacks the derived-PIV policy."""
    lab.issue_derived(profile)
    with pytest.raises(RelyingPartyRefusedError, match=re.escape(why)) as err:
        await lab.app().whoami(lab.rp_url)
    assert_problem(err.value, 403, "client-certificate-untrusted")
    assert lab.ocsp_requests == []


async def test_credential_expired_by_the_lab_clock_is_a_403(lab: Lab) -> None:
    lab.issue_derived()
    app = ManagedApp(FIELD_APP, lab.store, [lab.pki.tls_root.cert])  # no device-side check
    lab.clock.advance(dt.timedelta(days=4 * 365))
    with pytest.raises(RelyingPartyRefusedError) as err:
        await app.whoami(lab.rp_url)
    assert_problem(err.value, 403, "client-certificate-untrusted")


async def test_unreachable_responder_is_a_503(lab: Lab) -> None:
    lab.pki.derived["entrust"].issuing.urls.ocsp = "https://127.0.0.1:9/ocsp"
    lab.issue_derived()
    with pytest.raises(RelyingPartyRefusedError) as err:
        await lab.app().whoami(lab.rp_url)
    assert_problem(err.value, 503, "credential-status-unavailable")


async def test_certificate_without_ocsp_pointer(lab: Lab, pki: LabPKI, rand: Randomness) -> None:
    pki.derived["entrust"].issuing.urls.ocsp = None
    lab.issue_derived()
    with pytest.raises(RelyingPartyRefusedError, match="OCSP") as err:
        await lab.app().whoami(lab.rp_url)
    assert_problem(err.value, 403, "client-certificate-untrusted")
    # An RP configured not to require OCSP accepts it, marked unchecked.
    lenient = RpSettings(name="lenient-rp", ocsp_required=False)
    runner, url = await _serve(
        create_app(lenient, pki, lab.clock, rand), server_ssl_context(pki, lenient)
    )
    lab.runners.append(runner)
    assert (await lab.app().whoami(url))["status"] == "unchecked"


async def test_rp_trusting_another_issuer_refuses_in_the_handshake(
    lab: Lab, pki: LabPKI, rand: Randomness
) -> None:
    only_intercede = RpSettings(name="intercede-rp", trusted_issuers=("intercede",))
    app = create_app(only_intercede, pki, lab.clock, rand)
    assert list(app[VERIFIER].issuers) == ["intercede"]
    runner, url = await _serve(app, server_ssl_context(pki, only_intercede))
    lab.runners.append(runner)
    lab.issue_derived()
    with pytest.raises(RelyingPartyUnreachableError):
        await lab.app().whoami(url)


# --- settings ----------------------------------------------------------------------------------


def test_settings_from_env() -> None:
    s = RpSettings.from_env(
        {
            "DCEMU_RP_NAME": "portal",
            "DCEMU_RP_TRUSTED_ISSUERS": "entrust, intercede",
            "DCEMU_RP_REQUIRED_POLICIES": "2.16.840.1.101.3.2.1.3.41",
            "DCEMU_RP_OCSP_REQUIRED": "false",
            "DCEMU_RP_OCSP_TIMEOUT_S": "2.5",
        }
    )
    assert s.name == "portal"
    assert s.trusted_issuers == ("entrust", "intercede")
    assert [p.dotted_string for p in s.required_policies] == ["2.16.840.1.101.3.2.1.3.41"]
    assert s.ocsp_required is False
    assert s.ocsp_timeout == dt.timedelta(seconds=2.5)
    assert RpSettings.from_env({}) == RpSettings()


def test_unknown_trusted_issuer_is_a_config_error(
    pki: LabPKI, clock: ManualClock, rand: Randomness
) -> None:
    with pytest.raises(RpConfigError, match="nosuch"):
        create_app(RpSettings(trusted_issuers=("nosuch",)), pki, clock, rand)


async def _plain_http_responder(lab: Lab, answering: Hierarchy) -> str:
    """Serve `answering`'s OCSP responder over plain HTTP for the lab's lifetime; its base URL."""

    async def ocsp(request: web.Request) -> web.Response:
        body = answering.responder.respond(await request.read())
        return web.Response(body=body, content_type="application/ocsp-response")

    responder = web.Application()
    responder.router.add_post("/ocsp", ocsp)
    runner, base = await _serve(responder)
    lab.runners.append(runner)
    return base


async def test_plain_http_responder(lab: Lab, pki: LabPKI) -> None:
    """OCSP is usually plain HTTP (the answers are signed): the RP asks it the same way."""
    entrust = pki.derived["entrust"]
    base = await _plain_http_responder(lab, entrust)
    assert base.startswith("http://")
    entrust.issuing.urls.ocsp = f"{base}/ocsp"
    lab.issue_derived()
    assert (await lab.app().whoami(lab.rp_url))["status"] == "good"


async def test_responder_answering_for_another_ca_is_a_503(lab: Lab, pki: LabPKI) -> None:
    """An OCSP answer not signed for the credential's CA is not trusted."""
    base = await _plain_http_responder(lab, pki.derived["intercede"])
    pki.derived["entrust"].issuing.urls.ocsp = f"{base}/ocsp"
    lab.issue_derived()
    with pytest.raises(RelyingPartyRefusedError, match="OCSP") as err:
        await lab.app().whoami(lab.rp_url)
    assert_problem(err.value, 503, "credential-status-unavailable")


async def test_credential_unknown_to_the_responder_is_a_403(lab: Lab) -> None:
    ident = lab.issue_derived()
    del lab.pki.derived["entrust"].issuing.issued[ident.cert.serial_number]
    with pytest.raises(RelyingPartyRefusedError) as err:
        await lab.app().whoami(lab.rp_url)
    assert_problem(err.value, 403, "credential-status-unknown")
