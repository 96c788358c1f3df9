"""Reports other tools can check: `report.json` per run, certificates as PEM, the trust anchors
(`trust/roots.pem`, `trust/intermediates.pem`) that `openssl verify` needs, native artifacts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent.device import Device
from trust_store.clock import isoformat
from trust_store.labpki import LabPKI
from trust_store.oids import DERIVED_PIV_AUTH
from trust_store.pem import certs_pem
from trust_store.stores import CredentialRole

from .usage import Check

ROOTS = "trust/roots.pem"
INTERMEDIATES = "trust/intermediates.pem"


def write_trust(out: Path, pki: LabPKI) -> dict[str, str]:
    hierarchies = [pki.piv, *pki.derived.values()]
    (out / "trust").mkdir(parents=True, exist_ok=True)
    (out / ROOTS).write_bytes(certs_pem([h.root.cert for h in hierarchies]))
    (out / INTERMEDIATES).write_bytes(certs_pem([h.issuing.cert for h in hierarchies]))
    (out / "trust" / "tls-root.pem").write_bytes(certs_pem([pki.tls_root.cert]))
    for h in hierarchies:
        (out / "trust" / f"{h.label}-root.pem").write_bytes(certs_pem([h.root.cert]))
        (out / "trust" / f"{h.label}-issuing.pem").write_bytes(certs_pem([h.issuing.cert]))
    return {"roots": ROOTS, "intermediates": INTERMEDIATES, "tlsRoot": "trust/tls-root.pem"}


def _write(out: Path | None, rel: str, data: bytes) -> str | None:
    if out is None:
        return None
    (out / rel).parent.mkdir(parents=True, exist_ok=True)
    (out / rel).write_bytes(data)
    return rel


def device_entry(out: Path | None, device: Device, extra: dict[str, Any]) -> dict[str, Any]:
    """One device's report entry; with `out`, its certificates and profiles are written there."""
    certs = []
    for n, ident in enumerate(
        sorted(device.store.all_identities(), key=lambda i: (i.role.value, not i.current))
    ):
        rel = _write(
            out, f"devices/{device.id}/certs/{ident.role.value}-{n}.pem", certs_pem([ident.cert])
        )
        certs.append(
            {
                "role": ident.role.value,
                "label": ident.label,
                "current": ident.current,
                "subject": ident.cert.subject.rfc4514_string(),
                "issuer": ident.cert.issuer.rfc4514_string(),
                "serial": format(ident.cert.serial_number, "x"),
                "notAfter": isoformat(ident.cert.not_valid_after_utc),
                "path": rel,
                "requiredPolicy": DERIVED_PIV_AUTH.dotted_string
                if ident.role is CredentialRole.PIV_AUTH
                else None,
            }
        )
    artifacts = []
    for art in device.applied.values():
        rel = _write(out, f"devices/{device.id}/profiles/{art.filename}", art.content)
        artifacts.append(
            {
                "policyId": art.policy_id,
                "kind": art.kind,
                "mediaType": art.media_type,
                "path": rel,
                "summary": art.summary,
            }
        )
    m = device.machine
    return {
        "id": device.id,
        "name": device.spec.name,
        "platform": device.platform.name,
        "osVersion": device.spec.os_version,
        "user": device.upn,
        "state": m.state.value,
        "failure": m.failure,
        "syncFailure": device.sync_failure,
        "history": [s.__dict__ for s in m.history],
        "certificates": certs,
        "profiles": artifacts,
        "profileErrors": [
            {"policyId": pid, "reason": why} for pid, why in sorted(device.profile_errors.items())
        ],
        **extra,
    }


def check_entry(out: Path | None, device: Device, check: Check) -> dict[str, Any]:
    """A use of the credential (app sign-in, S/MIME); with `out`, its files are written."""
    paths = {
        name: _write(out, f"devices/{device.id}/usage/{name}", data)
        for name, data in check.files.items()
    }
    return check.to_json(paths)


def write_report(
    out: Path, pki: LabPKI, devices: list[dict[str, Any]], summary: dict[str, Any]
) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    doc = {"trust": write_trust(out, pki), "devices": devices, "summary": summary}
    path = out / "report.json"
    path.write_text(json.dumps(doc, indent=2))
    return path
