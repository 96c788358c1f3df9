"""The derived certificates and the issuer's OCSP responder, checked by OpenSSL itself."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.mock_issuers.conftest import Lab
from tests.mock_issuers.testkit import ec_key
from tests.openssl_cli import needs_openssl, run_openssl
from trust_store.pem import cert_pem, certs_pem

pytestmark = [pytest.mark.openssl, needs_openssl]


async def _derived_leaf(lab: Lab, tmp_path: Path) -> Path:
    card = await lab.issue_card()
    device = await lab.activate(await lab.enroll(card), card.upn)
    key = ec_key()
    leaf = await device.enroll_cert("pivauth", key)
    hierarchy = lab.pki.derived["entrust"]
    (tmp_path / "root.pem").write_bytes(cert_pem(hierarchy.root.cert))
    (tmp_path / "issuing.pem").write_bytes(cert_pem(hierarchy.issuing.cert))
    (tmp_path / "tls-root.pem").write_bytes(certs_pem([lab.pki.tls_root.cert]))
    path = tmp_path / "leaf.pem"
    path.write_bytes(cert_pem(leaf))
    return path


async def test_openssl_verifies_policy_and_purpose(lab: Lab, tmp_path: Path) -> None:
    leaf = await _derived_leaf(lab, tmp_path)
    code, out = await run_openssl(
        "verify",
        "-CAfile", str(tmp_path / "root.pem"),
        "-untrusted", str(tmp_path / "issuing.pem"),
        "-policy", "2.16.840.1.101.3.2.1.3.40",
        "-explicit_policy",
        "-purpose", "sslclient",
        str(leaf),
    )  # fmt: skip
    assert code == 0, out
    assert "OK" in out
    code, out = await run_openssl(
        "verify",
        "-CAfile", str(tmp_path / "root.pem"),
        "-untrusted", str(tmp_path / "issuing.pem"),
        "-policy", "2.16.840.1.101.3.2.1.3.41",  # the hardware policy: not asserted
        "-explicit_policy",
        str(leaf),
    )  # fmt: skip
    assert code != 0, out


async def test_openssl_ocsp_queries_the_issuer(lab: Lab, tmp_path: Path) -> None:
    leaf = await _derived_leaf(lab, tmp_path)
    # openssl trusts -CAfile both for the HTTPS server (lab TLS root) and the OCSP signer chain.
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(
        (tmp_path / "root.pem").read_bytes() + (tmp_path / "tls-root.pem").read_bytes()
    )
    # The answer's times are the lab clock's; openssl checks them against the real clock.
    skew = abs((dt.datetime.now(dt.UTC) - lab.clock.now()).total_seconds())
    code, out = await run_openssl(
        "ocsp",
        "-issuer", str(tmp_path / "issuing.pem"),
        "-cert", str(leaf),
        "-url", f"{lab.url('entrust')}/ocsp",
        "-CAfile", str(bundle),
        "-verify_other", str(tmp_path / "issuing.pem"),
        "-attime", str(int(lab.clock.now().timestamp())),
        "-validity_period", str(int(skew) + 300),
    )  # fmt: skip
    assert code == 0, out
    assert "Response verify OK" in out
    assert f"{leaf}: good" in out, out
