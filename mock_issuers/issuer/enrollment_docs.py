"""An enrollment as the JSON document its issuer stores (collection `enrollments`): every field,
so a restarted issuer answers exactly as before: the activation token (used or not), the
password and its failed attempts, the cardholder, the device, the access token and its expiry,
the current certificate of each kind, every serial it ever issued, the re-key generation, the
activation's idempotency key, and the last re-key's reason and superseded serials."""

from __future__ import annotations

from typing import Any

from trust_store.clock import parse_iso

from .docs import (
    CertLookup,
    holder_doc,
    holder_from_doc,
    serial_hex,
    time_doc,
    time_from_doc,
)
from .enrollment_state import DeviceInfo, Enrollment, State


def device_from_json(d: dict[str, Any]) -> DeviceInfo:
    return DeviceInfo(d["id"], d["platform"], d["osVersion"], d["model"])


def enrollment_to_json(e: Enrollment) -> dict[str, Any]:
    return {
        "id": e.id,
        "token": e.token,
        "password": e.password,
        "card": holder_doc(e.holder),
        "createdAt": time_doc(e.created_at),
        "expiresAt": time_doc(e.expires_at),
        "kinds": list(e.kinds),
        "state": e.state.value,
        "failedPasswords": e.failed_passwords,
        "device": None if e.device is None else e.device.to_json(),
        "accessToken": e.access_token,
        "accessExpiresAt": time_doc(e.access_expires_at),
        "issued": {kind: serial_hex(c.serial_number) for kind, c in e.issued.items()},
        "serials": [serial_hex(s) for s in e.serials],
        "generation": e.generation,
        "activationKey": e.activation_key,
        "lastRekeyReason": e.last_rekey_reason,
        "superseded": [serial_hex(s) for s in e.superseded],
    }


def enrollment_from_json(doc: dict[str, Any], cert_of: CertLookup) -> Enrollment:
    return Enrollment(
        id=doc["id"],
        token=doc["token"],
        password=doc["password"],
        holder=holder_from_doc(doc["card"]),
        created_at=parse_iso(doc["createdAt"]),
        expires_at=parse_iso(doc["expiresAt"]),
        kinds=tuple(doc["kinds"]),
        state=State(doc["state"]),
        failed_passwords=int(doc["failedPasswords"]),
        device=None if doc["device"] is None else device_from_json(doc["device"]),
        access_token=doc["accessToken"],
        access_expires_at=time_from_doc(doc["accessExpiresAt"]),
        issued={kind: cert_of(int(s, 16)) for kind, s in doc["issued"].items()},
        generation=int(doc["generation"]),
        activation_key=doc["activationKey"],
        last_rekey_reason=doc["lastRekeyReason"],
        superseded=tuple(int(s, 16) for s in doc["superseded"]),
        serials=[int(s, 16) for s in doc["serials"]],
    )
