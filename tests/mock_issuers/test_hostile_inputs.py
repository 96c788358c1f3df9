"""Inputs that used to crash the issuers' servers (500) are refused with typed 4xx problem
documents and change nothing: deep JSON, lone surrogates, names the certificates cannot carry,
control characters and trailing newlines, CSRs with unknown key algorithms or RSA exponents
other than 65537, OCSP requests with unknown hash algorithms or hashes of the wrong length."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from aiohttp import web
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp as x509_ocsp

from mock_issuers.purebred.agents import AgentRegistry
from servicekit.problems import BadRequest
from servicekit.webapp import SERVER_STATE
from tests.mock_issuers.conftest import Lab
from tests.mock_issuers.testkit import SoftCard, b64, csr_der, ec_key, expect_problem

DEEP = b"[" * 10_000 + b"]" * 10_000
JSON = {"Content-Type": "application/json"}
OCSP_REQUEST = {"Content-Type": "application/ocsp-request"}

#: DER of the OIDs the mutations below swap.
EC_PUBLIC_KEY = bytes.fromhex("06072a8648ce3d0201")
UNKNOWN_KEY = bytes.fromhex("06072a8648ce3d0209")  # 1.2.840.10045.2.9: no such key type
SHA1 = bytes.fromhex("06052b0e03021a")
UNKNOWN_HASH = bytes.fromhex("06052b0e03021b")  # 1.3.14.3.2.27: not a hash
SHA256 = bytes.fromhex("0609608648016503040201")
SHA512 = bytes.fromhex("0609608648016503040203")


def admin_headers(app: web.Application) -> dict[str, str]:
    """The admin bearer token of a server that has one (the lab controls need it)."""
    token = getattr(app[SERVER_STATE], "admin_token", None)
    return {"Authorization": f"Bearer {token}"} if token else {}


def csr_with_unknown_key_algorithm() -> bytes:
    der = csr_der(ec_key())
    assert der.count(EC_PUBLIC_KEY) == 1
    return der.replace(EC_PUBLIC_KEY, UNKNOWN_KEY)


def rsa_key_with_exponent(e: int) -> rsa.RSAPrivateKey:
    """A 2048-bit RSA key with public exponent `e` (cryptography generates only 3 and 65537;
    this reuses the primes of a generated key, trying until `e` is invertible)."""
    while True:
        numbers = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_numbers()
        p, q = numbers.p, numbers.q
        lam = (p - 1) * (q - 1) // math.gcd(p - 1, q - 1)
        if math.gcd(e, lam) == 1:
            break
    d = pow(e, -1, lam)
    public = rsa.RSAPublicNumbers(e, p * q)
    private = rsa.RSAPrivateNumbers(
        p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q), public
    )
    return private.private_key()


def csr_with_exponent(e: int) -> bytes:
    return csr_der(rsa_key_with_exponent(e))


def ocsp_request(lab: Lab, algorithm: hashes.HashAlgorithm) -> bytes:
    h = lab.pki.piv
    req = x509_ocsp.OCSPRequestBuilder().add_certificate(h.issuing.cert, h.root.cert, algorithm)
    return req.build().public_bytes(serialization.Encoding.DER)


def bad_ocsp_requests(lab: Lab) -> dict[str, bytes]:
    sha1 = ocsp_request(lab, hashes.SHA1())
    sha256 = ocsp_request(lab, hashes.SHA256())
    return {
        "unknown hash algorithm": sha1.replace(SHA1, UNKNOWN_HASH),
        # SHA-256 hashes (32 bytes) under the SHA-512 OID (64 bytes): lengths do not match.
        "hash of the wrong length": sha256.replace(SHA256, SHA512),
        "not DER": b"\x30\x03\x02\x01",
    }


# --- card authority ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "field"),
    [
        ({"name": "é" * 40, "upn": "a@agency.example"}, "name"),  # 40 characters, 80 bytes
        ({"name": "x" * 65, "upn": "a@agency.example"}, "name"),
        ({"name": "Alice\n", "upn": "a@agency.example"}, "name"),
        ({"name": "Al\x00ice", "upn": "a@agency.example"}, "name"),
        ({"name": "Al\u202eice", "upn": "a@agency.example"}, "name"),
        ({"name": " Alice", "upn": "a@agency.example"}, "name"),
        ({"name": "Alice", "upn": "a@agency.example\n"}, "upn"),
        ({"name": "Alice", "upn": "a\x07@agency.example"}, "upn"),
        ({"name": "Alice", "upn": "a@@agency.example"}, "upn"),
        ({"name": "Alice", "upn": "a@agency.example", "email": "a@agency.example\n"}, "email"),
        ({"name": "Alice", "upn": "a@agency.example", "email": "ä@agency.example"}, "email"),
    ],
)
async def test_card_user_fields_the_certificates_cannot_carry_are_refused(
    lab: Lab, user: dict[str, Any], field: str
) -> None:
    before = lab.authority.snapshot()
    body = {**SoftCard.new("Alice", "a@agency.example").request(0), "user": user}
    async with lab.anonymous().post(
        f"{lab.ca_url}/admin/cards", json=body, headers=admin_headers(lab.ca_app)
    ) as r:
        doc = await expect_problem(r, 400, "malformed")
    assert doc["field"] == f"user.{field}"
    assert lab.authority.snapshot() == before


async def test_a_name_of_exactly_64_utf8_bytes_is_issued(lab: Lab) -> None:
    name = "N" * 62 + "é"  # 63 characters, 64 bytes
    card = await lab.issue_card(name=name, upn="n@agency.example")
    assert name in card.auth_cert.subject.rfc4514_string()


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(DEEP, id="deep"),
        pytest.param(b'{"p12Password": "\\ud800"}', id="surrogate-password"),
        pytest.param(b'{"user": {"name": "\\udc00", "upn": "a@b.example"}}', id="surrogate-name"),
        pytest.param(b'{"keyManagementHistory": 1e999}', id="huge-number"),
        pytest.param(b'{"keyManagementHistory": NaN}', id="nan"),
    ],
)
async def test_card_authority_json_refusals(lab: Lab, raw: bytes) -> None:
    before = lab.authority.snapshot()
    http = lab.anonymous()
    for path in ("/admin/cards", "/admin/cards/00000000-0000-0000-0000-000000000000/revoke"):
        headers = {**JSON, **admin_headers(lab.ca_app)}
        async with http.post(f"{lab.ca_url}{path}", data=raw, headers=headers) as r:
            assert r.status in (400, 404), await r.text()
            if r.status == 400:
                await expect_problem(r, 400, "malformed")
    assert lab.authority.snapshot() == before


async def test_a_surrogate_password_is_refused_where_it_would_be_encoded(lab: Lab) -> None:
    """The JSON reader refuses it; the whole request, the valid CSRs too, changes nothing."""
    before = lab.authority.snapshot()
    body = SoftCard.new("Alice", "a@agency.example").request(0, password="p\ud800")
    raw = json.dumps(body).encode()  # ensure_ascii writes the lone surrogate as \\ud800
    async with lab.anonymous().post(
        f"{lab.ca_url}/admin/cards", data=raw, headers={**JSON, **admin_headers(lab.ca_app)}
    ) as r:
        await expect_problem(r, 400, "malformed")
    assert lab.authority.snapshot() == before


@pytest.mark.parametrize(
    "csr",
    [
        pytest.param(csr_with_unknown_key_algorithm, id="unknown-key-algorithm"),
        pytest.param(lambda: csr_with_exponent(3), id="rsa-exponent-3"),
        pytest.param(lambda: csr_with_exponent(65539), id="rsa-exponent-65539"),
    ],
)
async def test_card_csrs_with_keys_outside_the_profiles_are_csr_invalid(lab: Lab, csr: Any) -> None:
    before = lab.authority.snapshot()
    body = SoftCard.new("Alice", "a@agency.example").request(0)
    body["csrs"]["pivAuthentication"] = b64(csr())
    async with lab.anonymous().post(
        f"{lab.ca_url}/admin/cards", json=body, headers=admin_headers(lab.ca_app)
    ) as r:
        await expect_problem(r, 400, "csr-invalid")
    assert lab.authority.snapshot() == before


async def test_ocsp_requests_that_cannot_be_answered_are_malformed(lab: Lab) -> None:
    before = lab.authority.snapshot()
    for name, der in bad_ocsp_requests(lab).items():
        for url in (lab.ca_url, lab.url("entrust"), lab.url("intercede")):
            async with lab.anonymous().post(f"{url}/ocsp", data=der, headers=OCSP_REQUEST) as r:
                doc = await expect_problem(r, 400, "malformed")
                assert "OCSP" in doc["detail"], name
    assert lab.authority.snapshot() == before
    good = ocsp_request(lab, hashes.SHA256())
    async with lab.anonymous().post(f"{lab.ca_url}/ocsp", data=good, headers=OCSP_REQUEST) as r:
        assert r.status == 200 and r.content_type == "application/ocsp-response"


# --- issuers -----------------------------------------------------------------------------------


async def test_est_refuses_csrs_outside_the_profiles(lab: Lab) -> None:
    card = await lab.issue_card()
    device = await lab.activate(await lab.enroll(card, "entrust"), card.upn)
    service = lab.service("entrust")
    for der in (csr_with_unknown_key_algorithm(), csr_with_exponent(3)):
        before = service.snapshot()
        async with device.simpleenroll("pivauth", b64(der)) as r:
            await expect_problem(r, 400, "csr-invalid")
        assert service.snapshot() == before
    await device.enroll_cert("pivauth", ec_key())


async def test_a_directory_name_the_certificate_cannot_carry_is_never_stored(lab: Lab) -> None:
    """A 64-character name of 2-byte characters used to be stored, then every later request
    for that person failed with 500 (the certificate library counts UTF-8 bytes)."""
    card = await lab.issue_card()
    await lab.activate(await lab.enroll(card, "intercede"), card.upn)
    service = lab.service("intercede")
    url = f"{lab.url('intercede')}/admin/people/{card.upn}"
    headers = admin_headers(lab.apps["intercede"])
    before = service.snapshot()
    for name in ("é" * 64, "Alice\n", "Alice\r\nBob", "A\u2028B", "\tAlice"):
        async with lab.anonymous().post(url, json={"name": name}, headers=headers) as r:
            doc = await expect_problem(r, 400, "malformed")
            assert doc["field"] == "name"
    for email in ("a@agency.example\n", "a\x00@agency.example"):
        async with lab.anonymous().post(url, json={"email": email}, headers=headers) as r:
            await expect_problem(r, 400, "malformed")
    async with lab.anonymous().post(
        url, data=b'{"name": "\\ud800"}', headers={**JSON, **headers}
    ) as r:
        await expect_problem(r, 400, "malformed")
    assert service.snapshot() == before
    async with lab.anonymous().post(url, json={"name": "é" * 32}, headers=headers) as r:
        assert r.status == 200, await r.text()
        assert (await r.json())["name"] == "é" * 32


async def test_issuer_json_routes_refuse_deep_json(lab: Lab) -> None:
    for issuer in ("entrust", "intercede"):
        service = lab.service(issuer)
        before = service.snapshot()
        headers = {**JSON, **admin_headers(lab.apps[issuer])}
        for path in (
            "/device/v1/activations",
            "/admin/enrollments/x/revoke",
            "/admin/cards/00000000-0000-0000-0000-000000000000/revoke",
        ):
            async with lab.anonymous().post(
                lab.url(issuer) + path, data=DEEP, headers=headers
            ) as r:
                assert r.status in (400, 404), (path, await r.text())
        assert service.snapshot() == before


# --- Purebred agents ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entry",
    [
        "agent@corp.example\n",
        " agent@corp.example",
        "agent@corp.example\r",
        "age\x00nt@corp.example",
        "agent@corp\u2029.example",
        "agent@@corp.example",
        "00000000-0000-0000-0000-000000000002\n",
        "{00000000-0000-0000-0000-000000000002}",
        "",
    ],
)
def test_an_agent_entry_with_control_characters_or_outer_space_is_refused(entry: str) -> None:
    """Refused, not stripped: `agent@corp.example\\n` used to register `agent@corp.example`."""
    registry = AgentRegistry(frozenset())
    with pytest.raises(BadRequest):
        registry.add(entry)
    assert registry.entries() == []


def test_agent_entries_are_normalised() -> None:
    registry = AgentRegistry(frozenset())
    assert registry.add("Agent@Corp.Example") == "agent@corp.example"
    assert registry.add("0000000A-0000-0000-0000-000000000002") == (
        "0000000a-0000-0000-0000-000000000002"
    )
