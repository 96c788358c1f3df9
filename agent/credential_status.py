"""The credential app's status check of its installed derived credential, at each sync: the
derived PIV Authentication certificate's status is asked of the OCSP responder named in it
(AIA). When it is revoked (a terminated card, an issuer's revocation), every profile that uses
the derived credential is reported to Intune as `error` with the reason, so Intune's device
statuses show them failed. An answer that cannot be had or trusted changes nothing (the next
sync asks again)."""

from __future__ import annotations

from trust_store import ocsp
from trust_store.ca import CertStatus
from trust_store.errors import TrustStoreError

from .device import Device
from .errors import AgentError, ServiceError, UnsupportedError
from .http import Transport
from .intune import CheckIn
from .payloads import renderer_for

OCSP_REQUEST = "application/ocsp-request"
REVOKED_CODE = "credential-revoked"


async def revoked_reason(device: Device, transport: Transport) -> str | None:
    """Why the installed derived credential may no longer be used, or None (good, none
    installed, or no trustworthy answer)."""
    try:
        current = device.credential_client(transport.anchors).identity()
    except AgentError:
        return None
    cert = current.cert
    url = ocsp.ocsp_url(cert)
    issuer = next((c for c in current.chain if c.subject == cert.issuer), None)
    if url is None or issuer is None:
        return None
    try:
        _, _, body = await transport.request(
            "POST",
            url,
            data=ocsp.build_request(cert, issuer),
            headers={"Content-Type": OCSP_REQUEST},
            during="credential status (OCSP)",
        )
        answer = ocsp.check_response(body, cert, issuer, device.clock.now())
    except (ServiceError, TrustStoreError):
        return None
    if answer.status is not CertStatus.REVOKED:
        return None
    return (
        f"{REVOKED_CODE}: the derived PIV Authentication certificate {cert.serial_number:x} "
        "is revoked (issuer's OCSP)"
    )


def fail_derived_profiles(device: Device, ci: CheckIn, reason: str) -> list[str]:
    """Record `reason` as the error of every profile of `ci` that uses the derived credential;
    their ids."""
    failed = []
    for policy in ci.policies:
        try:
            renderer = renderer_for(device.platform, str(policy.get("@odata.type", "")))
        except UnsupportedError:
            continue
        if "TrustedRoot" in str(policy.get("@odata.type")):
            continue
        if renderer.uses_derived_credential(policy):
            device.profile_errors[policy["id"]] = reason
            failed.append(policy["id"])
    return failed
