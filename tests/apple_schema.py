"""Checks Apple configuration profiles against Apple's published payload schemas
(`../shared/reference/apple-profiles/*.yaml`, read as data at test time)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "shared" / "reference" / "apple-profiles"

_TYPES: dict[str, tuple[type, ...]] = {
    "<string>": (str,),
    "<boolean>": (bool,),
    "<integer>": (int,),
    "<real>": (float, int),
    "<array>": (list,),
    "<dictionary>": (dict,),
    "<data>": (bytes,),
    "<date>": (dt.datetime,),
}


def available() -> bool:
    return SCHEMA_DIR.is_dir()


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((SCHEMA_DIR / f"{name}.yaml").read_text())
    return data


def _schemas() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for path in SCHEMA_DIR.glob("*.yaml"):
        doc = yaml.safe_load(path.read_text())
        out[doc["payload"]["payloadtype"]] = doc["payloadkeys"]
    return out


def _check_value(value: Any, spec: dict[str, Any], where: str, errors: list[str]) -> None:
    typ = spec.get("type", "<any>")
    if typ != "<any>":
        allowed = _TYPES[typ]
        if isinstance(value, bool) and bool not in allowed:
            errors.append(f"{where}: expected {typ}, got boolean")
            return
        if not isinstance(value, allowed):
            errors.append(f"{where}: expected {typ}, got {type(value).__name__}")
            return
    if "rangelist" in spec and value not in spec["rangelist"]:
        errors.append(f"{where}: {value!r} not in {spec['rangelist']}")
    subkeys = spec.get("subkeys")
    if not subkeys:
        return
    if isinstance(value, dict):
        _check_dict(value, subkeys, where, errors)
    elif isinstance(value, list):
        item_spec = subkeys[0]
        for i, item in enumerate(value):
            _check_value(item, item_spec, f"{where}[{i}]", errors)


def _check_dict(
    d: dict[str, Any], keys: list[dict[str, Any]], where: str, errors: list[str]
) -> None:
    by_name = {k["key"]: k for k in keys}
    if "ANY" in by_name:
        return
    for spec in keys:
        if spec.get("presence") == "required" and spec["key"] not in d:
            errors.append(f"{where}: required key {spec['key']} missing")
    for name, value in d.items():
        spec = by_name.get(name)
        if spec is None:
            errors.append(f"{where}: unknown key {name}")
            continue
        _check_value(value, spec, f"{where}.{name}", errors)


def validate_profile(profile: dict[str, Any]) -> list[str]:
    """All schema violations of a top-level profile and its payloads (empty when valid)."""
    schemas = _schemas()
    common = schemas["CommonPayloadKeys"]
    errors: list[str] = []
    _check_dict(profile, schemas["TopLevel"], "TopLevel", errors)
    for i, payload in enumerate(profile.get("PayloadContent", [])):
        ptype = payload.get("PayloadType")
        if ptype not in schemas:
            errors.append(f"payload {i}: no schema for {ptype}")
            continue
        keys = {k["key"]: k for k in common}
        keys.update({k["key"]: k for k in schemas[ptype]})
        _check_dict(payload, list(keys.values()), ptype, errors)
    return errors
