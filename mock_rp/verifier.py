"""Who is at the other end of the TLS connection: the client certificate must chain to a trusted
derived-credential root with the derived PIV Authentication policy, name one card UUID, and be
"good" according to its issuer's OCSP responder (the URL in its AIA, with a nonce).

The steps run in that order and each refuses with its own problem kind, so a tester can tell an
untrusted certificate (403) from a revoked one (403 `credential-revoked`) from an unreachable
responder (503).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from cryptography import x509
from cryptography.x509 import ObjectIdentifier
from cryptography.x509.oid import NameOID

from trust_store import ocsp, tls, validation
from trust_store.ca import CertStatus
from trust_store.clock import Clock, isoformat
from trust_store.errors import ChainValidationError, OCSPError
from trust_store.labpki import Hierarchy
from trust_store.oids import EKU_CLIENT_AUTH, MS_UPN
from trust_store.randomness import Randomness

from .problems import (
    ClientCertificateUntrusted,
    CredentialRevoked,
    CredentialStatusUnavailable,
    CredentialStatusUnknown,
)

OCSP_REQUEST = "application/ocsp-request"
OCSP_RESPONSE = "application/ocsp-response"
URN_UUID = "urn:uuid:"
NONCE_BYTES = 16


@dataclass(frozen=True)
class AppUser:
    """The authenticated user, read from the validated certificate only."""

    subject: str
    common_name: str
    card_uuid: uuid.UUID
    upn: str | None
    email: str | None
    issuer: str
    issuer_name: str
    serial: int
    not_after: dt.datetime
    policies: tuple[str, ...]
    status: str
    authenticated_at: dt.datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "commonName": self.common_name,
            "cardUuid": str(self.card_uuid),
            "upn": self.upn,
            "email": self.email,
            "issuer": self.issuer,
            "issuerName": self.issuer_name,
            "serialNumber": f"{self.serial:x}",
            "notAfter": isoformat(self.not_after),
            "policies": list(self.policies),
            "status": self.status,
            "authenticatedAt": isoformat(self.authenticated_at),
        }


class OcspClient:
    """POSTs OCSP requests over HTTP(S); HTTPS responders must chain to `anchors`."""

    def __init__(self, anchors: Sequence[x509.Certificate], timeout: dt.timedelta) -> None:
        self._ssl = tls.client_context(anchors)
        self._timeout = aiohttp.ClientTimeout(total=timeout.total_seconds())
        self._session: aiohttp.ClientSession | None = None

    async def post(self, url: str, request_der: bytes) -> bytes:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.post(
                url, data=request_der, headers={"Content-Type": OCSP_REQUEST}, ssl=self._ssl
            ) as resp:
                body = await resp.read()
                if resp.status != 200:
                    raise CredentialStatusUnavailable(
                        f"the OCSP responder {url} answered HTTP {resp.status}"
                    )
                return body
        except (TimeoutError, aiohttp.ClientError, ValueError) as e:
            raise CredentialStatusUnavailable(
                f"the OCSP responder {url} is unreachable: {type(e).__name__}: {e}"
            ) from e

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class ClientVerifier:
    def __init__(
        self,
        issuers: Mapping[str, Hierarchy],
        policies: Sequence[ObjectIdentifier],
        ocsp_client: OcspClient,
        clock: Clock,
        rand: Randomness,
        *,
        ocsp_required: bool = True,
    ) -> None:
        self.issuers = dict(issuers)
        self.policies = list(policies)
        self.ocsp = ocsp_client
        self.clock = clock
        self.rand = rand
        self.ocsp_required = ocsp_required

    @property
    def anchors(self) -> list[x509.Certificate]:
        return [h.root.cert for h in self.issuers.values()]

    @property
    def intermediates(self) -> list[x509.Certificate]:
        return [c for h in self.issuers.values() for c in h.intermediates]

    async def authenticate(self, cert: x509.Certificate) -> AppUser:
        name, issuer_cert = self.check_chain(cert)
        card_uuid = card_uuid_of(cert)
        status = await self.check_status(cert, issuer_cert)
        return _user(cert, card_uuid, name, status, self.policies, self.clock.now())

    def check_chain(self, cert: x509.Certificate) -> tuple[str, x509.Certificate]:
        """The issuer's name and the issuing CA certificate, once the chain validates."""
        try:
            chain = validation.validate_chain(
                cert,
                self.intermediates,
                self.anchors,
                self.clock.now(),
                eku=EKU_CLIENT_AUTH,
                policies=self.policies,
            )
        except ChainValidationError as e:
            raise ClientCertificateUntrusted(
                f"not a derived PIV Authentication certificate of a trusted issuer: {e}"
            ) from e
        issuer_cert = chain[1]
        for name, h in self.issuers.items():
            if issuer_cert in h.intermediates or issuer_cert == h.root.cert:
                return name, issuer_cert
        raise ClientCertificateUntrusted("the certificate's issuing CA is not a trusted issuer")

    async def check_status(self, cert: x509.Certificate, issuer: x509.Certificate) -> str:
        url = ocsp.ocsp_url(cert)
        if url is None:
            if self.ocsp_required:
                raise ClientCertificateUntrusted(
                    "the certificate names no OCSP responder (AIA); its status cannot be checked"
                )
            return "unchecked"
        nonce = self.rand.token_bytes(NONCE_BYTES)
        body = await self.ocsp.post(url, ocsp.build_request(cert, issuer, nonce))
        try:
            answer = ocsp.check_response(body, cert, issuer, self.clock.now(), nonce)
        except OCSPError as e:
            raise CredentialStatusUnavailable(f"the OCSP answer cannot be trusted: {e}") from e
        if answer.status is CertStatus.REVOKED:
            when = isoformat(answer.revoked_at) if answer.revoked_at else "an unknown time"
            raise CredentialRevoked(f"the derived credential was revoked at {when}")
        if answer.status is not CertStatus.GOOD:
            raise CredentialStatusUnknown(
                "the issuer's OCSP responder does not know the credential"
            )
        return answer.status.value


def card_uuid_of(cert: x509.Certificate) -> uuid.UUID:
    """The card UUID from the subjectAltName URN (FPKI worksheet 15: exactly one)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        raise ClientCertificateUntrusted("no subjectAltName: the card UUID is missing") from None
    urns = [
        u
        for u in san.get_values_for_type(x509.UniformResourceIdentifier)
        if u.lower().startswith(URN_UUID)
    ]
    if len(urns) != 1:
        raise ClientCertificateUntrusted("subjectAltName must hold exactly one card UUID URN")
    try:
        return uuid.UUID(urns[0][len(URN_UUID) :])
    except ValueError:
        raise ClientCertificateUntrusted(f"{urns[0]!r} is not a UUID URN") from None


def _user(
    cert: x509.Certificate,
    card_uuid: uuid.UUID,
    issuer_name: str,
    status: str,
    policies: Sequence[ObjectIdentifier],
    now: dt.datetime,
) -> AppUser:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    upns = [
        u
        for n in san.get_values_for_type(x509.OtherName)
        if n.type_id == MS_UPN and (u := _utf8(n.value)) is not None
    ]
    emails = san.get_values_for_type(x509.RFC822Name)
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return AppUser(
        subject=cert.subject.rfc4514_string(),
        common_name=str(cn[0].value) if cn else "",
        card_uuid=card_uuid,
        upn=upns[0] if upns else None,
        email=emails[0] if emails else None,
        issuer=cert.issuer.rfc4514_string(),
        issuer_name=issuer_name,
        serial=cert.serial_number,
        not_after=cert.not_valid_after_utc,
        policies=tuple(p.dotted_string for p in policies),
        status=status,
        authenticated_at=now,
    )


def _utf8(der: bytes) -> str | None:
    """A DER UTF8String (short or long form) as text; None when it is something else."""
    if len(der) < 2 or der[0] != 0x0C:
        return None
    n, start = der[1], 2
    if n & 0x80:
        start = 2 + (n & 0x7F)
        n = int.from_bytes(der[2:start], "big")
    return der[start : start + n].decode(errors="replace")
