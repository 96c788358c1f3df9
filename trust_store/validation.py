"""Chain validation: a leaf, the intermediates sent with it, the trusted roots of a store.

Built on `cryptography.x509.verification` with an end-entity policy that requires the usage
(EKU) the caller names and, optionally, certificate policies such as the derived-PIV OID.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from cryptography import x509
from cryptography.x509 import ObjectIdentifier
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    Policy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from .errors import ChainValidationError, NoTrustedRootError
from .oids import EKU_CLIENT_AUTH


def _ee_policy(eku: ObjectIdentifier, policies: Sequence[ObjectIdentifier]) -> ExtensionPolicy:
    def check_eku(_p: Policy, _c: x509.Certificate, ext: x509.ExtendedKeyUsage | None) -> None:
        if ext is None or eku not in list(ext):
            raise ValueError(f"extendedKeyUsage lacks {eku.dotted_string}")

    def check_policies(
        _p: Policy, _c: x509.Certificate, ext: x509.CertificatePolicies | None
    ) -> None:
        present = {pi.policy_identifier for pi in ext or []}
        missing = [p.dotted_string for p in policies if p not in present]
        if missing:
            raise ValueError(f"certificatePolicies lacks {', '.join(missing)}")

    pol = ExtensionPolicy.permit_all().require_present(
        x509.ExtendedKeyUsage, Criticality.AGNOSTIC, check_eku
    )
    if policies:
        pol = pol.require_present(x509.CertificatePolicies, Criticality.AGNOSTIC, check_policies)
    return pol


def validate_chain(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    at: dt.datetime,
    *,
    eku: ObjectIdentifier = EKU_CLIENT_AUTH,
    policies: Sequence[ObjectIdentifier] = (),
) -> list[x509.Certificate]:
    """Return the validated chain, leaf first, or raise `ChainValidationError`."""
    if not anchors:
        raise NoTrustedRootError(
            "no trusted root certificate is deployed: the chain cannot be validated "
            "(deploy a trusted-root profile)"
        )
    verifier = (
        PolicyBuilder()
        .store(Store(list(anchors)))
        .time(at)
        .extension_policies(
            ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=_ee_policy(eku, policies)
        )
        .build_client_verifier()
    )
    try:
        verified = verifier.verify(leaf, list(intermediates))
    except VerificationError as e:
        raise ChainValidationError(f"{leaf.subject.rfc4514_string()}: {e}") from e
    return list(verified.chain)
