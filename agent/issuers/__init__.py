"""Device-side issuer workflows, one module per issuer behind `base.IssuerClient`; the lab (or a
tester) configures clients with where each issuer is and gives them to the credential app as an
`IssuerDirectory`."""

from .base import Activation, CapturedCode, FlowContext, IssuerClient, IssuerDirectory
from .entrust import Entrust
from .intercede import Intercede
from .purebred import Purebred

__all__ = [
    "Activation",
    "CapturedCode",
    "Entrust",
    "FlowContext",
    "Intercede",
    "IssuerClient",
    "IssuerDirectory",
    "Purebred",
]
