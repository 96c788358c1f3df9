"""Issuance as a pipeline of small steps (STYLE.md), run in order for each EST simpleenroll:

    prechecks (may await):  card still good (OCSP)
    steps (never await):    parse CSR -> proof of possession -> key strength -> not issued yet
                            -> subject (card + directory) -> SP 800-157 profile -> sign -> record

Every step before `Sign` only reads; `Sign` and `Record` are the only mutations and run last.
Because the synchronous steps never await, the "already issued?" check and the record of the
issuance cannot interleave with another request for the same enrollment.

A repeated request is idempotent for the device that asked: the same enrollment asking again for
a kind it already has, with the same public key (its answer was lost), gets the certificate
already issued (`NotIssuedYet` sets it and ends the pipeline); another key is `already-issued`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from cryptography import x509

from trust_store.ca import CertificateAuthority
from trust_store.certprofiles import CertProfile, Subject
from trust_store.keys import PublicKey

from ..csr import check_key_strength, parse_csr, verify_possession
from ..kinds import AlreadyIssued
from ..revocation import point_revocation_urls
from ..settings import PublicUrl
from .base import Product
from .cardcheck import CardVerifier
from .enrollment_index import EnrollmentStore
from .enrollment_state import Enrollment
from .people import PeopleDirectory

T = TypeVar("T")


class PipelineError(RuntimeError):
    """A step ran before the step that provides its input (a wiring bug)."""


@dataclass
class IssuanceContext:
    enrollment: Enrollment
    product: Product
    csr_der: bytes
    now: dt.datetime
    csr: x509.CertificateSigningRequest | None = None
    public_key: PublicKey | None = None
    subject: Subject | None = None
    profile: CertProfile | None = None
    validity: dt.timedelta | None = None
    cert: x509.Certificate | None = None
    #: The answer is known before the end (a repeat of a request already answered).
    done: bool = False


def need(value: T | None, what: str) -> T:
    if value is None:
        raise PipelineError(f"pipeline step needs {what}, which no earlier step set")
    return value


class Precheck(Protocol):
    async def run(self, ctx: IssuanceContext) -> None: ...


class Step(Protocol):
    def run(self, ctx: IssuanceContext) -> None: ...


@dataclass(frozen=True)
class CardStillGood:
    """SP 800-157: the card's status is checked; again here, since sign-in was minutes ago."""

    verifier: CardVerifier

    async def run(self, ctx: IssuanceContext) -> None:
        await self.verifier.check_status(ctx.enrollment.holder.card_cert)


class NotIssuedYet:
    """A kind is issued once per enrollment; the same key asking again gets the same answer."""

    def run(self, ctx: IssuanceContext) -> None:
        issued = ctx.enrollment.issued.get(ctx.product.kind)
        if issued is None:
            return
        if issued.public_key() == need(ctx.public_key, "the public key"):
            ctx.cert, ctx.done = issued, True
            return
        raise AlreadyIssued(
            f"this enrollment already issued its {ctx.product.kind} certificate for another key"
        )


class ParseCsr:
    def run(self, ctx: IssuanceContext) -> None:
        ctx.csr = parse_csr(ctx.csr_der)


class VerifyPossession:
    def run(self, ctx: IssuanceContext) -> None:
        verify_possession(need(ctx.csr, "the CSR"))


class CheckKeyStrength:
    def run(self, ctx: IssuanceContext) -> None:
        ctx.public_key = check_key_strength(need(ctx.csr, "the CSR"))


@dataclass(frozen=True)
class SubjectFromCard:
    """The subject and subjectAltName come from the card (with the name and email the issuer's
    directory now holds for the person), never from the CSR."""

    people: PeopleDirectory

    def run(self, ctx: IssuanceContext) -> None:
        ctx.subject = self.people.subject_for(ctx.enrollment.holder)


@dataclass(frozen=True)
class ApplyProfile:
    """The product's SP 800-157 profile, valid for the issuer's credential lifetime (capped by
    the profile's maximum)."""

    lifetime: dt.timedelta

    def run(self, ctx: IssuanceContext) -> None:
        profile = ctx.product.profile
        cap = profile.max_validity or profile.validity
        ctx.profile = profile
        ctx.validity = min(self.lifetime, cap)


@dataclass(frozen=True)
class Sign:
    ca: CertificateAuthority
    public_url: PublicUrl

    def run(self, ctx: IssuanceContext) -> None:
        public_key = ctx.public_key
        if public_key is None:
            raise PipelineError("Sign needs the public key, which no earlier step set")
        point_revocation_urls(self.ca, self.public_url)
        ctx.cert = self.ca.issue(
            public_key,
            need(ctx.subject, "the subject"),
            need(ctx.profile, "the profile"),
            validity=need(ctx.validity, "the validity"),
        )


@dataclass(frozen=True)
class Record:
    store: EnrollmentStore

    def run(self, ctx: IssuanceContext) -> None:
        self.store.record_issued(
            ctx.enrollment, ctx.product.kind, need(ctx.cert, "the certificate")
        )


@dataclass(frozen=True)
class Pipeline:
    prechecks: Sequence[Precheck]
    steps: Sequence[Step]

    async def run(self, ctx: IssuanceContext) -> x509.Certificate:
        for precheck in self.prechecks:
            await precheck.run(ctx)
        for step in self.steps:
            if ctx.done:
                break
            step.run(ctx)
        return need(ctx.cert, "the certificate")


def standard_pipeline(
    verifier: CardVerifier,
    ca: CertificateAuthority,
    public_url: PublicUrl,
    lifetime: dt.timedelta,
    store: EnrollmentStore,
    people: PeopleDirectory,
) -> Pipeline:
    return Pipeline(
        prechecks=(CardStillGood(verifier),),
        steps=(
            ParseCsr(),
            VerifyPossession(),
            CheckKeyStrength(),
            NotIssuedYet(),
            SubjectFromCard(people),
            ApplyProfile(lifetime),
            Sign(ca, public_url),
            Record(store),
        ),
    )
