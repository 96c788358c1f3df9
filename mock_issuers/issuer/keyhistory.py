"""Key history for the device: the card's escrowed key-management keys, recovered from the card
authority over mutual TLS with the issuer's own TLS client credential."""

from __future__ import annotations

import uuid
from typing import Any

from servicekit.problems import Unavailable

from ..settings import PublicUrl
from .upstream import Upstream, UpstreamError


def _item(raw: object) -> dict[str, Any]:
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("friendlyName"), str)
        or not isinstance(raw.get("current"), bool)
        or not isinstance(raw.get("pkcs12"), str)
    ):
        raise Unavailable("the card authority answered a malformed key-history item")
    return {"friendlyName": raw["friendlyName"], "current": raw["current"], "pkcs12": raw["pkcs12"]}


async def recover_key_history(
    upstream: Upstream, card_authority: PublicUrl, card_uuid: uuid.UUID, password: str
) -> list[dict[str, Any]]:
    """The escrowed keys, newest first, each a PKCS#12 under the device's `password`."""
    if not card_authority.is_set:
        raise Unavailable("this issuer has no card authority URL configured")
    url = card_authority.join(f"/escrow/{card_uuid}/recover")
    try:
        answer = await upstream.post_json(url, {"password": password}, mutual=True)
        doc = answer.json()
    except UpstreamError as e:
        raise Unavailable(f"card authority unreachable for key recovery: {e}") from e
    if answer.status != 200 or not isinstance(doc, dict):
        kind = doc.get("type", "") if isinstance(doc, dict) else ""
        raise Unavailable(f"card authority refused key recovery: HTTP {answer.status} {kind}")
    items = doc.get("items")
    if not isinstance(items, list):
        raise Unavailable("the card authority's key-history answer has no items")
    return [_item(i) for i in items]
