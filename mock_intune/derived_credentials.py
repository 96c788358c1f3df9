"""The tenant's derived-credential settings (Graph `deviceManagementDerivedCredentialSettings`):
one issuer per tenant, help URL, notification types and renewal threshold."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .fields import (
    Choice,
    Field,
    HttpUrl,
    Integer,
    JsonObject,
    Text,
    object_schema,
    read_fields,
    refuse_unknown,
)
from .problems import IssuerImmutable, field_error

ODATA_TYPE = "#microsoft.graph.deviceManagementDerivedCredentialSettings"
DEFAULT_RENEWAL_THRESHOLD = 20


class Issuer(StrEnum):
    INTERCEDE = "intercede"
    ENTRUST_DATACARD = "entrustDatacard"
    PUREBRED = "purebred"
    XTEC = "xTec"


class NotificationChannel(StrEnum):
    COMPANY_PORTAL = "companyPortal"
    EMAIL = "email"


CHANNEL_VALUES = frozenset(c.value for c in NotificationChannel)
NOTIFICATION_VALUES = ("none", "companyPortal", "email", "companyPortal,email")


@dataclass(frozen=True, kw_only=True)
class NotificationTypeField(Field):
    """`none`, one channel, or channels joined by commas (the admin UI allows "one or more";
    Microsoft365DSC sends `companyPortal,email`). Normalised to a frozenset of channels."""

    def check(self, value: Any, path: str) -> Any:
        return parse_notification_type(value, path)

    def json_schema(self) -> JsonObject:
        return {"type": "string", "enum": list(NOTIFICATION_VALUES)}


def parse_notification_type(value: Any, path: str) -> frozenset[NotificationChannel]:
    allowed = {"allowed": list(NOTIFICATION_VALUES)}
    if not isinstance(value, str):
        raise field_error(path, "must be a string", **allowed)
    parts = [p.strip() for p in value.split(",")]
    if parts == ["none"]:
        return frozenset()
    channels: set[NotificationChannel] = set()
    for p in parts:
        if p not in CHANNEL_VALUES or p in channels:
            raise field_error(
                path,
                f"unknown or repeated value {p!r}; expected none, companyPortal, email "
                "or companyPortal,email",
                **allowed,
            )
        channels.add(NotificationChannel(p))
    return frozenset(channels)


def format_notification_type(channels: frozenset[NotificationChannel]) -> str:
    return ",".join(c.value for c in NotificationChannel if c in channels) or "none"


FIELDS: tuple[Field, ...] = (
    Text(name="displayName", required=True, min_length=1, max_length=256, line=True),
    HttpUrl(name="helpUrl", description="Shown in Company Portal"),
    Choice(name="issuer", required=True, values=tuple(i.value for i in Issuer)),
    NotificationTypeField(name="notificationType"),
    Integer(
        name="renewalThresholdPercentage",
        minimum=1,
        maximum=99,
        description="Renewal starts at 100 minus this percentage of the lifetime (default 20)",
    ),
)
READ_ONLY = ("id", "@odata.type", "@odata.context")


@dataclass
class DerivedCredentialSettings:
    id: str
    display_name: str
    issuer: Issuer
    help_url: str | None = None
    notification: frozenset[NotificationChannel] = frozenset()
    renewal_threshold: int = DEFAULT_RENEWAL_THRESHOLD
    #: Unknown properties, tolerated and echoed back.
    extra: JsonObject = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        return {
            **self.extra,
            "@odata.type": ODATA_TYPE,
            "id": self.id,
            "displayName": self.display_name,
            "helpUrl": self.help_url,
            "issuer": self.issuer.value,
            "notificationType": format_notification_type(self.notification),
            "renewalThresholdPercentage": self.renewal_threshold,
        }

    def renewal_at_percent(self) -> int:
        """The share of a credential's lifetime after which it must be renewed."""
        return 100 - self.renewal_threshold


def _check_type(body: Mapping[str, Any]) -> None:
    t = body.get("@odata.type")
    if t is not None and str(t).lstrip("#") != ODATA_TYPE.lstrip("#"):
        raise field_error("@odata.type", f"must be {ODATA_TYPE}", allowed=[ODATA_TYPE])


def _extras(body: Mapping[str, Any], strict: bool) -> JsonObject:
    known = {f.name for f in FIELDS} | set(READ_ONLY)
    if strict:
        refuse_unknown(body, known)
    return {k: v for k, v in body.items() if k not in known and not k.startswith("@")}


def settings_from_json(
    body: Mapping[str, Any], new_id: Callable[[], str], *, strict: bool = False
) -> DerivedCredentialSettings:
    _check_type(body)
    v = read_fields(FIELDS, body)
    extra = _extras(body, strict)
    return DerivedCredentialSettings(
        id=new_id(),
        display_name=v["displayName"],
        issuer=Issuer(v["issuer"]),
        help_url=v.get("helpUrl"),
        notification=v.get("notificationType") or frozenset(),
        renewal_threshold=v.get("renewalThresholdPercentage") or DEFAULT_RENEWAL_THRESHOLD,
        extra=extra,
    )


def patched_settings(
    current: DerivedCredentialSettings, body: Mapping[str, Any], *, strict: bool = False
) -> DerivedCredentialSettings:
    """A new settings object with `body` applied; `current` is left untouched."""
    _check_type(body)
    if "issuer" in body and body["issuer"] != current.issuer.value:
        raise IssuerImmutable(
            "the issuer cannot be changed; delete these settings and create new ones "
            "(every derived credential issued under them stops working)",
            field="issuer",
        )
    v = read_fields(FIELDS, body, partial=True)
    extra = {**current.extra, **_extras(body, strict)}
    return DerivedCredentialSettings(
        id=current.id,
        display_name=v.get("displayName", current.display_name),
        issuer=current.issuer,
        help_url=v.get("helpUrl", current.help_url),
        # null resets to the default (no notifications; threshold 20).
        notification=v.get("notificationType", current.notification) or frozenset(),
        renewal_threshold=(
            v.get("renewalThresholdPercentage", current.renewal_threshold)
            or DEFAULT_RENEWAL_THRESHOLD
        ),
        extra=extra,
    )


def settings_schema() -> JsonObject:
    s = object_schema(FIELDS)
    s["properties"] = {
        "@odata.type": {"const": ODATA_TYPE},
        "id": {"type": "string", "readOnly": True},
        **s["properties"],
    }
    return s
