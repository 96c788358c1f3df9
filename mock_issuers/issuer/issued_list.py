"""`GET /admin/issued`: everything an issuer's CA signed, as the lab's administrator reads it,
in the order it was issued (restarts included: the list is the CA's stored records)."""

from __future__ import annotations

from typing import Any

from trust_store.clock import isoformat

from .service import IssuerService


def issued_listing(service: IssuerService) -> list[dict[str, Any]]:
    """Serial, profile and kind, the enrollment (card, device) it was issued to, whether it is
    the enrollment's current certificate, its status and its validity."""
    kinds = {p.profile.name: p.kind for p in service.issuer.products}
    items = []
    for serial, rec in service.hierarchy.issuing.issued.items():
        enrollment = service.enrollments.by_serial(serial)
        device = enrollment.device if enrollment is not None else None
        items.append(
            {
                "serial": f"{serial:x}",
                "profile": rec.profile,
                "kind": kinds.get(rec.profile),
                "enrollment": None if enrollment is None else enrollment.id,
                "cardUuid": None if enrollment is None else str(enrollment.holder.card_uuid),
                "deviceId": None if device is None else device.id,
                "current": enrollment is not None and enrollment.is_current(rec.cert),
                "status": "good" if rec.revoked_at is None else "revoked",
                "reason": None if rec.reason is None else rec.reason.value,
                "revokedAt": None if rec.revoked_at is None else isoformat(rec.revoked_at),
                "notBefore": isoformat(rec.cert.not_valid_before_utc),
                "notAfter": isoformat(rec.cert.not_valid_after_utc),
            }
        )
    return items
