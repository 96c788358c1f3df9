"""Each issuer's OCSP responder, CRL and CA certificate on a plain-HTTP listener: the
certificates point there (http:// CRL DP, AIA OCSP and caIssuers), OCSP answers GET as POST
(RFC 6960 A.1) with producedAt from the lab clock, CRL numbers strictly increase, and OpenSSL
reads both over HTTP."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest
from cryptography import x509
from cryptography.x509 import ocsp as x509_ocsp

from agent.card import Slot
from lab.issuers import plugin_class
from lab.servers import LabServers
from lab.settings import LabSettings
from lab.world import Lab
from mock_issuers.revocation import point_revocation_urls
from mock_issuers.settings import PublicUrl
from servicekit.storage import SqliteStorage
from tests.mock_issuers.testkit import ec_key
from tests.openssl_cli import needs_openssl, run_openssl
from trust_store import certprofiles as cp
from trust_store import ocsp
from trust_store.certprofiles import Subject
from trust_store.clock import ManualClock
from trust_store.labpki import LabPKI
from trust_store.pem import cert_pem
from trust_store.randomness import Randomness

AIA = x509.oid.AuthorityInformationAccessOID


def _pointers(cert: x509.Certificate) -> tuple[str, str, str]:
    """(OCSP, caIssuers, CRL DP) URLs of `cert`."""
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    by = {d.access_method: d.access_location.value for d in aia}
    dp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    return by[AIA.OCSP], by[AIA.CA_ISSUERS], dp[0].full_name[0].value  # type: ignore[index]


def _leaf(lab: Lab, issuer: str) -> x509.Certificate:
    """A derived certificate made the way the issuers' pipeline makes one."""
    ca = lab.pki.derived[issuer].issuing
    point_revocation_urls(ca, PublicUrl("https://127.0.0.1:1"))
    return ca.issue(ec_key().public_key(), Subject("Alice", upn="a@x.example"), cp.DERIVED_PIV_AUTH)


async def _get(url: str, **kw: object) -> tuple[int, str, bytes]:
    async with aiohttp.ClientSession() as s, s.get(url, **kw) as r:  # type: ignore[arg-type]
        return r.status, r.content_type, await r.read()


async def test_certificates_point_at_the_http_listener(clock: ManualClock) -> None:
    async with Lab.start(issuers=("entrust", "purebred"), clock=clock) as lab:
        user = await lab.new_user("Alice Smith", "alice@corp.example")
        certs = {"card-authority": (user.card.certificate(Slot.PIV_AUTH), lab.pki.piv)}
        for name in ("entrust", "purebred"):
            certs[name] = (_leaf(lab, name), lab.pki.derived[name])
        for name, (cert, hierarchy) in certs.items():
            base = hierarchy.issuing.urls.http_base
            assert base is not None and base.startswith("http://127.0.0.1:"), name
            ocsp_url, issuers_url, crl_url = _pointers(cert)
            assert (ocsp_url, issuers_url, crl_url) == (
                f"{base}/ocsp",
                f"{base}/ca.cer",
                f"{base}/crl",
            ), name
            status, kind, body = await _get(issuers_url)
            assert (status, kind) == (200, "application/pkix-cert")
            assert x509.load_der_x509_certificate(body) == hierarchy.issuing.cert
            # GET (RFC 6960 A.1, standard and URL-safe base64) answers as POST does.
            req = ocsp.build_request(cert, hierarchy.issuing.cert)
            async with (
                aiohttp.ClientSession() as s,
                s.post(
                    ocsp_url, data=req, headers={"Content-Type": "application/ocsp-request"}
                ) as r,
            ):
                assert r.status == 200
                posted = await r.read()
            for encoded in (
                quote(base64.b64encode(req).decode(), safe=""),
                base64.urlsafe_b64encode(req).decode().rstrip("="),
            ):
                status, kind, got = await _get(f"{ocsp_url}/{encoded}")
                assert (status, kind) == (200, "application/ocsp-response")
                # The same answer (ECDSA signatures differ from one signing to the next).
                tbs = x509_ocsp.load_der_ocsp_response(got).tbs_response_bytes
                assert tbs == x509_ocsp.load_der_ocsp_response(posted).tbs_response_bytes
            answer = ocsp.check_response(posted, cert, hierarchy.issuing.cert, clock.now())
            assert answer.status.value == "good"
            # Malformed input is a 400 problem document.
            status, kind, _ = await _get(f"{ocsp_url}/not-base64!!")
            assert (status, kind) == (400, "application/problem+json")
            status, kind, _ = await _get(f"{ocsp_url}/{base64.b64encode(b'junk').decode()}")
            assert (status, kind) == (400, "application/problem+json")
        # The HTTP listener is read-only: no admin.
        status, _, _ = await _get(f"{lab.pki.piv.issuing.urls.http_base}/admin/time")
        assert status == 404


async def test_produced_at_moves_with_the_clock_and_crl_numbers_increase(
    clock: ManualClock,
) -> None:
    async with Lab.start(issuers=("entrust",), clock=clock) as lab:
        hierarchy = lab.pki.derived["entrust"]
        cert = _leaf(lab, "entrust")
        ocsp_url, _, crl_url = _pointers(cert)
        req = base64.urlsafe_b64encode(ocsp.build_request(cert, hierarchy.issuing.cert)).decode()
        numbers, produced = [], []
        for _ in range(2):
            _, _, der = await _get(f"{ocsp_url}/{req}")
            resp = x509_ocsp.load_der_ocsp_response(der)
            assert resp.produced_at_utc == resp.this_update_utc == clock.now()
            assert resp.next_update_utc is not None and resp.next_update_utc > clock.now()
            produced.append(resp.produced_at_utc)
            status, kind, body = await _get(crl_url)
            assert (status, kind) == (200, "application/pkix-crl")
            crl = x509.load_der_x509_crl(body)
            assert crl.last_update_utc == clock.now()
            numbers.append(crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number)
            clock.advance(dt.timedelta(minutes=7))
        assert produced[1] - produced[0] == dt.timedelta(minutes=7)
        assert numbers[0] < numbers[1]


async def test_crl_numbers_go_on_across_a_restart(clock: ManualClock, tmp_path: Path) -> None:
    """As `dcemu serve --state-dir` runs the servers: the CRL number is kept in the storage."""
    numbers = []
    for _ in range(2):
        pki = LabPKI.create(clock, Randomness(1), ("entrust",), tmp_path)
        servers = LabServers(pki, clock, Randomness(1), LabSettings(), state_dir=tmp_path)
        try:
            await servers.start([plugin_class("entrust")(LabSettings().issuer("entrust"))])
            base = pki.derived["entrust"].issuing.urls.http_base
            for _ in range(2):
                _, _, body = await _get(f"{base}/crl")
                crl = x509.load_der_x509_crl(body)
                numbers.append(
                    crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
                )
        finally:
            await servers.stop()
    assert numbers == sorted(set(numbers)) and len(numbers) == 4


async def test_a_crl_number_is_committed_before_the_crl_is_answered(
    clock: ManualClock, tmp_path: Path
) -> None:
    """A `kill -9` right after a CRL was served must not hand out its number again: the number
    is in the database (read through another connection) before the answer arrives."""
    pki = LabPKI.create(clock, Randomness(1), ("entrust",), tmp_path)
    servers = LabServers(pki, clock, Randomness(1), LabSettings(), state_dir=tmp_path)
    try:
        await servers.start([plugin_class("entrust")(LabSettings().issuer("entrust"))])
        base = pki.derived["entrust"].issuing.urls.http_base
        issuing = pki.derived["entrust"].issuing.name
        for _ in range(2):
            _, _, body = await _get(f"{base}/crl")
            served = x509.load_der_x509_crl(body).extensions.get_extension_for_class(
                x509.CRLNumber
            )
            kept = SqliteStorage(tmp_path / "entrust.sqlite3").get("crl-numbers", issuing)
            assert kept == {"number": served.value.crl_number}
    finally:
        await servers.stop()


@pytest.mark.openssl
@needs_openssl
async def test_openssl_reads_ocsp_and_crl_over_http(tmp_path: Path) -> None:
    clock = ManualClock()  # the real time: openssl checks the answer's times
    async with Lab.start(issuers=("entrust",), clock=clock) as lab:
        hierarchy = lab.pki.derived["entrust"]
        leaf = _leaf(lab, "entrust")
        ocsp_url, _, crl_url = _pointers(leaf)
        assert ocsp_url.startswith("http://")
        for name, cert in (("root", hierarchy.root.cert), ("issuing", hierarchy.issuing.cert),
                           ("leaf", leaf)):  # fmt: skip
            (tmp_path / f"{name}.pem").write_bytes(cert_pem(cert))
        code, out = await run_openssl(
            "ocsp",
            "-issuer", str(tmp_path / "issuing.pem"),
            "-cert", str(tmp_path / "leaf.pem"),
            "-url", ocsp_url,
            "-CAfile", str(tmp_path / "root.pem"),
            "-verify_other", str(tmp_path / "issuing.pem"),
        )  # fmt: skip
        assert code == 0, out
        assert "Response verify OK" in out and ": good" in out, out
        _, _, body = await _get(crl_url)
        (tmp_path / "crl.der").write_bytes(body)
        code, out = await run_openssl(
            "crl", "-inform", "DER", "-in", str(tmp_path / "crl.der"),
            "-CAfile", str(tmp_path / "issuing.pem"), "-noout", "-text",
        )  # fmt: skip
        assert code == 0, out
        assert "verify OK" in out and "X509v3 CRL Number" in out, out
