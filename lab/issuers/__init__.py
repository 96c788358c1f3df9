"""The issuers the lab runs, one plugin each (`base.IssuerPlugin`); importing this package
registers the built-in ones. Adding an issuer: see README, "Adding an issuer"."""

from . import entrust, intercede, purebred  # noqa: F401  (registers the built-in plugins)
from .base import ISSUER_PLUGINS, Endpoint, IssuerPlugin, ServerKit, plugin_class
from .portal import PortalIssuerPlugin

__all__ = [
    "ISSUER_PLUGINS",
    "Endpoint",
    "IssuerPlugin",
    "PortalIssuerPlugin",
    "ServerKit",
    "plugin_class",
]
