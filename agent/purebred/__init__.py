"""The DISA Purebred app on the device (`app`), what it holds (`vault`), how its keys reach the
credential app (`handover`), and the people on Purebred's side (`desk`). The device-side issuer
client that drives them is `agent.issuers.purebred`."""

from .app import (
    DEFAULT_ON_PREMISES_HOSTS,
    ON_PREMISES_NETWORKS,
    PUREBRED_APP,
    AppEnrollment,
    OnPremises,
    PreEnrollment,
    PurebredApp,
    fingerprint,
)
from .desk import AgentDesk, PurebredSite, RegistrationAgent
from .errors import (
    OTP_HINTS,
    NotOnPremisesError,
    OtpRejectedError,
    PurebredAppMissingError,
    PurebredAppNotManagedError,
)
from .handover import HAND_OVER, company_portal_import, hand_over, intune_app_import
from .vault import FileProvider, HeldKey, KeyType, SharedFile, ShareFilter, Vault, open_shared

__all__ = [
    "DEFAULT_ON_PREMISES_HOSTS",
    "HAND_OVER",
    "ON_PREMISES_NETWORKS",
    "OTP_HINTS",
    "PUREBRED_APP",
    "AgentDesk",
    "AppEnrollment",
    "FileProvider",
    "HeldKey",
    "KeyType",
    "NotOnPremisesError",
    "OnPremises",
    "OtpRejectedError",
    "PreEnrollment",
    "PurebredApp",
    "PurebredAppMissingError",
    "PurebredAppNotManagedError",
    "PurebredSite",
    "RegistrationAgent",
    "ShareFilter",
    "SharedFile",
    "Vault",
    "company_portal_import",
    "fingerprint",
    "hand_over",
    "intune_app_import",
    "open_shared",
]
