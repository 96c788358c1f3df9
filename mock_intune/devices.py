"""The device channel's bodies: enrollment, the credential a device reports at check-in, and
profile status reports."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from servicekit.text import REFUSED_RANGES

from .derived_credentials import Issuer
from .fields import Choice, Field, Integer, Text, read_fields, refuse_unknown, require_object
from .managed_devices import ReportedCredential
from .platforms import ENROLLMENT_TYPES, TRAITS, Platform
from .problems import field_error

_UPN_PART = f"[^@\\s{REFUSED_RANGES}]+"
#: user@domain.tld, one line (servicekit.text); also the OpenAPI `pattern`.
UPN_PATTERN = f"^{_UPN_PART}@{_UPN_PART}\\.{_UPN_PART}$"
UPN = re.compile(UPN_PATTERN)


def upn_field(name: str, *, required: bool = False) -> Text:
    return Text(
        name=name,
        required=required,
        min_length=3,
        max_length=256,
        line=True,
        pattern=UPN_PATTERN,
        pattern_means="a user principal name (user@domain)",
    )


THUMBPRINT_PATTERN = r"^(?:[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$"
STATUSES = ("succeeded", "error", "notApplicable")

ENROLL_FIELDS: tuple[Field, ...] = (
    Text(name="deviceName", required=True, min_length=1, max_length=256, line=True),
    upn_field("upn", required=True),
    Choice(name="platform", required=True, values=tuple(p.value for p in Platform)),
    Text(name="osVersion", max_length=64),
    Text(name="model", max_length=256),
    Choice(
        name="enrollmentType",
        values=("", *ENROLLMENT_TYPES),
        description="Graph deviceEnrollmentType (empty or absent: the platform's usual one)",
    ),
    Text(
        name="hardwareId",
        max_length=128,
        description="the device's stable hardware identifier (UDID, serial); enrolling again "
        "with the same one re-enrolls the same managed device",
    ),
)
CREDENTIAL_FIELDS: tuple[Field, ...] = (
    Choice(name="issuer", required=True, values=tuple(i.value for i in Issuer)),
    Text(
        name="thumbprint",
        required=True,
        max_length=64,
        line=True,
        pattern=THUMBPRINT_PATTERN,
        pattern_means="40 or 64 hexadecimal digits",
        description="SHA-1 or SHA-256, hex",
    ),
    Text(name="notBefore", required=True, max_length=64, format="date-time"),
    Text(name="notAfter", required=True, max_length=64, format="date-time"),
    Text(name="settingsId", required=True, max_length=64),
)
STATUS_FIELDS: tuple[Field, ...] = (
    Text(name="policyId", required=True, min_length=1, max_length=64),
    Integer(name="version", required=True, minimum=1),
    Choice(name="status", required=True, values=STATUSES),
    Text(name="detail", max_length=4096),
)


@dataclass(frozen=True)
class Enrollment:
    device_name: str
    upn: str
    platform: Platform
    os_version: str
    model: str
    enrollment_type: str
    hardware_id: str = ""


def parse_enroll(body: Mapping[str, Any], *, strict: bool = False) -> Enrollment:
    if strict:
        refuse_unknown(body, [f.name for f in ENROLL_FIELDS])
    v = read_fields(ENROLL_FIELDS, body)
    platform = Platform(v["platform"])
    etype = v.get("enrollmentType") or TRAITS[platform].default_enrollment_type
    return Enrollment(
        v["deviceName"],
        v["upn"],
        platform,
        v.get("osVersion") or "",
        v.get("model") or "",
        etype,
        v.get("hardwareId") or "",
    )


def _time(value: str, path: str) -> dt.datetime:
    """An RFC 3339 date-time with its offset, as UTC. A time without an offset is refused
    (it would be read in the server's local zone), and so is one that leaves the representable
    range in UTC (`0001-01-01T00:00:00+14:00`, `9999-12-31T23:59:59-14:00`)."""
    try:
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as e:
        raise field_error(path, f"is not an RFC 3339 time: {e}") from e
    if t.tzinfo is None or t.utcoffset() is None:
        raise field_error(path, "must give its offset from UTC (Z or +hh:mm)")
    try:
        return t.astimezone(dt.UTC)
    except OverflowError:
        raise field_error(path, "is outside the years 1..9999 in UTC") from None


def parse_checkin(body: Mapping[str, Any], *, strict: bool = False) -> ReportedCredential | None:
    """The `credential` of a check-in body (absent or null: the device holds none)."""
    if strict:
        refuse_unknown(body, ["credential"])
    raw = body.get("credential")
    if raw is None:
        return None
    cred = require_object(raw, "credential")
    if strict:
        refuse_unknown(cred, [f.name for f in CREDENTIAL_FIELDS], "credential")
    v = read_fields(CREDENTIAL_FIELDS, cred, where="credential")
    not_before = _time(v["notBefore"], "credential.notBefore")
    not_after = _time(v["notAfter"], "credential.notAfter")
    if not_after <= not_before:
        raise field_error("credential.notAfter", "must be later than notBefore")
    return ReportedCredential(
        v["issuer"], v["thumbprint"].lower(), not_before, not_after, v["settingsId"]
    )


@dataclass(frozen=True)
class StatusReport:
    policy_id: str
    version: int
    status: str
    detail: str


def parse_status(body: Mapping[str, Any], *, strict: bool = False) -> StatusReport:
    if strict:
        refuse_unknown(body, [f.name for f in STATUS_FIELDS])
    v = read_fields(STATUS_FIELDS, body)
    return StatusReport(v["policyId"], v["version"], v["status"], v.get("detail") or "")
