"""The issuer's PKCS structures, read by OpenSSL itself: the EST certs-only PKCS#7, the key-history
PKCS#12 (opened with the device's password) and the CRL (signature checked against the chain)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from tests.mock_issuers.conftest import Lab
from tests.mock_issuers.testkit import b64, csr_der, ec_key
from tests.openssl_cli import needs_openssl, run_openssl
from trust_store.pem import certs_pem

pytestmark = [pytest.mark.openssl, needs_openssl]
PASSWORD = "device-chosen"


async def test_openssl_reads_est_pkcs7_key_history_pkcs12_and_crl(lab: Lab, tmp_path: Path) -> None:
    card = await lab.issue_card()
    device = await lab.activate(await lab.enroll(card), card.upn)
    key = ec_key()

    # EST simpleenroll: base64 PKCS#7 certs-only.
    async with device.simpleenroll("pivauth", b64(csr_der(key))) as r:
        assert r.status == 200, await r.text()
        (tmp_path / "issued.p7").write_bytes(base64.b64decode(await r.read()))
    leaf = await _leaf_via_openssl(tmp_path / "issued.p7", key)
    assert leaf.issuer == lab.pki.derived["entrust"].issuing.cert.subject

    # Key history: one PKCS#12 per key-management key, opened with the device's password.
    async with device.post(
        f"/device/v1/enrollments/{device.activation['enrollment']}/key-history",
        json={"password": PASSWORD},
        headers=device.bearer,
    ) as r:
        assert r.status == 200, await r.text()
        items = (await r.json())["items"]
    assert items
    for i, item in enumerate(items):
        path = tmp_path / f"km{i}.p12"
        path.write_bytes(base64.b64decode(item["pkcs12"]))
        code, out = await run_openssl(
            "pkcs12", "-in", str(path), "-passin", f"pass:{PASSWORD}", "-nodes", "-info"
        )  # fmt: skip
        assert code == 0, out
        assert "BEGIN PRIVATE KEY" in out and "BEGIN CERTIFICATE" in out
        assert f"friendlyName: {item['friendlyName']}" in out
        code, out = await run_openssl("pkcs12", "-in", str(path), "-passin", "pass:wrong", "-noout")
        assert code != 0  # the password really protects it

    # CRL: DER at the certificate's distribution point, signed by the issuing CA.
    hierarchy = lab.pki.derived["entrust"]
    dp = leaf.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    url = dp[0].full_name[0].value  # type: ignore[index]
    async with lab.anonymous().get(url) as r:
        assert r.status == 200 and r.content_type == "application/pkix-crl"
        (tmp_path / "issuing.crl").write_bytes(await r.read())
    (tmp_path / "chain.pem").write_bytes(certs_pem([hierarchy.issuing.cert, hierarchy.root.cert]))
    code, out = await run_openssl(
        "crl", "-inform", "DER", "-in", str(tmp_path / "issuing.crl"),
        "-CAfile", str(tmp_path / "chain.pem"), "-noout",
    )  # fmt: skip
    assert code == 0 and "verify OK" in out, out


async def _leaf_via_openssl(p7: Path, key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    """The certificate of `key` among those openssl prints out of the PKCS#7 bundle."""
    code, out = await run_openssl("pkcs7", "-inform", "DER", "-in", str(p7), "-print_certs")
    assert code == 0, out
    certs = x509.load_pem_x509_certificates(out.encode())
    mine = [c for c in certs if c.public_key() == key.public_key()]
    assert len(mine) == 1, out
    return mine[0]
