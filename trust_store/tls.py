"""TLS contexts for loopback servers and their clients, from lab PKI credentials.

`ssl.SSLContext.load_cert_chain` reads files only, so certificate chains and keys are written to
a private (0700 directory, 0600 files) location first.
"""

from __future__ import annotations

import ssl
import tempfile
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509

from .keys import PrivateKey, private_key_pem
from .pem import certs_pem, write_private

#: OpenSSL's X509_V_FLAG_NO_CHECK_TIME (1.1.0+); Python's `ssl.VerifyFlags` does not name it.
X509_V_FLAG_NO_CHECK_TIME = 0x200000


def write_credential(
    directory: Path, name: str, chain: Sequence[x509.Certificate], key: PrivateKey
) -> tuple[Path, Path]:
    cert_path = write_private(directory / f"{name}.chain.pem", certs_pem(chain))
    key_path = write_private(directory / f"{name}.key.pem", private_key_pem(key))
    return cert_path, key_path


def _load_chain(
    ctx: ssl.SSLContext,
    name: str,
    chain: Sequence[x509.Certificate],
    key: PrivateKey,
    workdir: Path | None,
) -> None:
    """Load a chain and key; without `workdir`, through a private directory removed at once."""
    if workdir is not None:
        ctx.load_cert_chain(*write_credential(workdir, name, chain, key))
        return
    with tempfile.TemporaryDirectory(prefix="dcemu-tls-") as tmp:
        ctx.load_cert_chain(*write_credential(Path(tmp), name, chain, key))


def server_context(
    chain: Sequence[x509.Certificate],
    key: PrivateKey,
    *,
    client_cas: Sequence[x509.Certificate] = (),
    workdir: Path | None = None,
) -> ssl.SSLContext:
    """A TLS 1.2+ server context; with `client_cas`, client certificates are requested and,
    when sent, must chain to one of them (the application decides which routes need one).

    The handshake does not check the client certificate's validity period: OpenSSL would use the
    machine's clock, while the lab runs on an injected clock that tests move forward. Every
    server checks validity (and status) against its own clock in `validation.validate_chain`."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    _load_chain(ctx, "server", chain, key, workdir)
    if client_cas:
        ctx.verify_mode = ssl.CERT_OPTIONAL
        ctx.verify_flags |= X509_V_FLAG_NO_CHECK_TIME
        ctx.load_verify_locations(cadata=certs_pem(client_cas).decode())
    return ctx


def client_context(
    anchors: Sequence[x509.Certificate],
    *,
    client_chain: Sequence[x509.Certificate] = (),
    client_key: PrivateKey | None = None,
    workdir: Path | None = None,
) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cadata=certs_pem(anchors).decode())
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if client_chain and client_key is not None:
        _load_chain(ctx, "client", client_chain, client_key, workdir)
    return ctx


def peer_certificate(transport_ssl: ssl.SSLObject | None) -> x509.Certificate | None:
    """The verified client certificate of a TLS connection, if the client sent one."""
    if transport_ssl is None:
        return None
    der = transport_ssl.getpeercert(binary_form=True)
    return x509.load_der_x509_certificate(der) if der else None
