"""The TLS client certificate of a request (mutual TLS), and its common name."""

from __future__ import annotations

from aiohttp import web
from cryptography import x509
from cryptography.x509.oid import NameOID

from trust_store import tls


def client_certificate(request: web.Request) -> x509.Certificate | None:
    transport = request.transport
    return tls.peer_certificate(transport.get_extra_info("ssl_object") if transport else None)


def common_name(cert: x509.Certificate) -> str:
    attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = attrs[0].value if attrs else ""
    return value if isinstance(value, str) else value.decode(errors="replace")
