"""Device-side issuer workflows, one module per issuer behind `base.IssuerClient`."""

# Importing the issuer modules registers them.
from . import entrust, intercede, purebred  # noqa: F401
from .base import ISSUERS, CapturedCode, FlowContext, IssuerClient, issuer_for_intune, issuer_named

__all__ = [
    "ISSUERS",
    "CapturedCode",
    "FlowContext",
    "IssuerClient",
    "issuer_for_intune",
    "issuer_named",
]
