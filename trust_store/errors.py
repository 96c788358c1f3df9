"""Typed errors of the trust_store package."""

from __future__ import annotations


class TrustStoreError(Exception):
    """Base of every error raised by trust_store."""


class ChainValidationError(TrustStoreError):
    """A certificate does not chain to a trusted root, or breaks a required policy."""


class NoTrustedRootError(ChainValidationError):
    """No trusted root is deployed in the store: a trusted-root profile is required."""


class StoreError(TrustStoreError):
    """A certificate store refused an operation (unknown item, access denied, bad input)."""


class AccessDeniedError(StoreError):
    """An app asked for an item outside its access group or without a grant."""


class OCSPError(TrustStoreError):
    """An OCSP response could not be built, parsed or trusted."""


class SecretStoreError(TrustStoreError):
    """The per-device secret store failed."""
