"""DISA Purebred as data for the shared issuer core (CA hierarchy, issuance pipeline, sessions,
escrow recovery). It is deliberately NOT registered in `mock_issuers.issuer.ISSUERS`: that
registry builds the portal + QR flow, and Purebred's supervised flow is its own app
(`mock_issuers.purebred.create_apps`)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from trust_store import certprofiles as cp
from trust_store.oids import EKU_SMARTCARD_LOGON

from ..issuer.base import DIGITAL_SIGNATURE, Issuer, Product

#: DISA Purebred's PIV Authentication certificate also allows smart-card logon (domain.md:
#: "PIV authentication (with smart card logon)"); otherwise the SP 800-157 derived profile.
PUREBRED_PIV_AUTH_PROFILE = dataclasses.replace(
    cp.DERIVED_PIV_AUTH,
    name="purebred-derived-piv-authentication",
    ekus=(*cp.DERIVED_PIV_AUTH.ekus, EKU_SMARTCARD_LOGON),
)
PUREBRED_PIV_AUTHENTICATION = Product("pivAuthentication", "pivauth", PUREBRED_PIV_AUTH_PROFILE)


class PurebredIssuer(Issuer):
    name = "purebred"
    display_name = "DISA Purebred"
    credential_lifetime = dt.timedelta(days=365)
    products = (PUREBRED_PIV_AUTHENTICATION, DIGITAL_SIGNATURE)
    key_history = True
