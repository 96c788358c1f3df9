"""DISA Purebred: supervised derived-credential enrollment with a live registration agent.

Not in the `mock_issuers.issuer.ISSUERS` registry (that builds the portal + QR flow): Purebred
has its own factory, which builds TWO apps over one service (see `app.py` for why):

    from mock_issuers import purebred
    settings = purebred.PurebredSettings(
        card_authority_url=ca_settings.public_url,          # escrow clients must include "purebred"
        registered_agents=frozenset({"agent@corp.example"}),  # UPNs or card UUIDs
    )
    apps = purebred.create_apps(settings, pki, clock, rand)
    servers = await purebred.start(apps, pki)   # console on 127.0.0.1, device API on 127.0.0.2
    servers.console_url   # agents' console and users' portal (workstations)
    servers.device_url    # device API: what the device side calls the issuer URL
    ...
    await servers.stop()

The four steps, each gated by a one-time passcode (3 minutes, single use, bound to the
applicant's card): pre-enroll (agent code; the device shows a fingerprint of its request hash,
the agent confirms it in the console), enroll (agent code: the challenge for the certificate
requests), key management and recover (codes the user generates on the portal after their own
card sign-in; the card's escrowed key-management keys as PKCS#12). Wire protocol:
docs/protocol.md, section "DISA Purebred".
"""

from __future__ import annotations

from .app import (
    PurebredApps,
    PurebredServers,
    console_ssl_context,
    create_apps,
    device_ssl_context,
    start,
)
from .issuer import PurebredIssuer
from .otps import OtpStep
from .service import PUREBRED_SERVICE, PurebredService
from .settings import ON_PREMISES_HOST, OTP_LIFETIME, PurebredSettings

__all__ = [
    "ON_PREMISES_HOST",
    "OTP_LIFETIME",
    "PUREBRED_SERVICE",
    "OtpStep",
    "PurebredApps",
    "PurebredIssuer",
    "PurebredServers",
    "PurebredService",
    "PurebredSettings",
    "console_ssl_context",
    "create_apps",
    "device_ssl_context",
    "start",
]
