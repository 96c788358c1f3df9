"""Portal sign-in with the PIV card (SP 800-157 PKI-AUTH): the card's PIV Authentication
certificate must chain to the PIV root through the card CA, carry the PIV authentication policy
and the card's UUID and UPN, and its OCSP responder (from the certificate's AIA, queried over
HTTPS with a nonce) must say it is good."""

from __future__ import annotations

from cryptography import x509

from trust_store import ocsp, validation
from trust_store.ca import CertStatus
from trust_store.clock import Clock
from trust_store.errors import ChainValidationError, OCSPError
from trust_store.labpki import Hierarchy
from trust_store.oids import EKU_CLIENT_AUTH, FPKI_COMMON_AUTHENTICATION
from trust_store.randomness import Randomness

from ..kinds import CardRevoked, CardStatusUnavailable, CardUntrusted
from ..revocation import OCSP_REQUEST
from .holder import CardHolder, NotACardCertificate
from .upstream import Upstream, UpstreamError

#: [FPKI] the PIV Authentication certificate on the card carries id-fpki-common-authentication.
CARD_AUTH_POLICIES = (FPKI_COMMON_AUTHENTICATION,)
NONCE_BYTES = 16


class CardVerifier:
    def __init__(self, piv: Hierarchy, upstream: Upstream, clock: Clock, rand: Randomness) -> None:
        self.piv = piv
        self.upstream = upstream
        self.clock = clock
        self.rand = rand

    async def verify(self, cert: x509.Certificate) -> CardHolder:
        """The cardholder, or `card-untrusted` / `card-revoked` / `card-status-unavailable`."""
        holder = self.check_certificate(cert)
        await self.check_status(cert)
        return holder

    def check_certificate(self, cert: x509.Certificate) -> CardHolder:
        try:
            validation.validate_chain(
                cert,
                self.piv.intermediates,
                self.piv.anchors,
                self.clock.now(),
                eku=EKU_CLIENT_AUTH,
                policies=CARD_AUTH_POLICIES,
            )
            return CardHolder.from_card(cert)
        except (ChainValidationError, NotACardCertificate) as e:
            raise CardUntrusted(
                f"not a PIV Authentication certificate of a trusted card: {e}"
            ) from e

    async def check_status(self, cert: x509.Certificate) -> None:
        url = ocsp.ocsp_url(cert)
        if url is None:
            raise CardStatusUnavailable("the card certificate names no OCSP responder (AIA)")
        issuer = self.piv.issuing.cert
        nonce = self.rand.token_bytes(NONCE_BYTES)
        try:
            answer = await self.upstream.post(
                url, ocsp.build_request(cert, issuer, nonce), OCSP_REQUEST
            )
        except UpstreamError as e:
            raise CardStatusUnavailable(f"OCSP responder unreachable: {e}") from e
        if answer.status != 200:
            raise CardStatusUnavailable(f"OCSP responder answered HTTP {answer.status}")
        try:
            status = ocsp.check_response(answer.body, cert, issuer, self.clock.now(), nonce).status
        except OCSPError as e:
            raise CardStatusUnavailable(f"OCSP answer cannot be trusted: {e}") from e
        if status is CertStatus.REVOKED:
            raise CardRevoked("the card's PIV Authentication certificate is revoked")
        if status is not CertStatus.GOOD:
            raise CardStatusUnavailable("the OCSP responder does not know the card certificate")
