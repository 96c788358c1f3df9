"""User notifications: what Intune tells the user, on which channels, and only once per cause.

The tenant's `notificationType` picks the channels. Company Portal notifications go back in the
check-in answer; email goes to the tenant's outbox (and is listed in the answer as sent).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from .checkin_actions import ActionKind, Decision
from .derived_credentials import DerivedCredentialSettings, Issuer, NotificationChannel
from .fields import JsonObject
from .managed_devices import ManagedDevice
from .model import EmailMessage, Tenant
from .platforms import TRAITS

ISSUER_NAMES = {
    Issuer.INTERCEDE: "Intercede",
    Issuer.ENTRUST_DATACARD: "Entrust",
    Issuer.PUREBRED: "DISA Purebred",
    Issuer.XTEC: "XTec",
}


@dataclass(frozen=True)
class Notice:
    #: Causes this notice covers; each is notified once per device.
    keys: tuple[str, ...]
    channel: NotificationChannel
    subject: str
    message: str

    def to_json(self) -> JsonObject:
        return {"channel": self.channel.value, "subject": self.subject, "message": self.message}


def _texts(
    decision: Decision, settings: DerivedCredentialSettings, device: ManagedDevice, help_url: str
) -> list[tuple[tuple[str, ...], str, str]]:
    issuer = ISSUER_NAMES[settings.issuer]
    thumb = device.credential.thumbprint if device.credential else "-"
    out: list[tuple[tuple[str, ...], str, str]] = []
    action = decision.action
    if action is not None:
        key = f"{action.kind.value}:{settings.id}:{thumb}"
        if action.kind is ActionKind.ENROLL:
            subject = "Get a derived credential for your device"
            verb = "get a derived credential"
        else:
            subject = "Renew your derived credential"
            verb = "get a new derived credential"
        message = (
            f"{device.name}: {action.detail}. Open Company Portal to {verb} from {issuer}. "
            f"Instructions: {help_url}"
        )
        out.append(((key,), subject, message))
    elif TRAITS[device.platform].notify_on_policy_change:
        changed = [
            p
            for p in decision.delivered
            if p.uses_derived_credential
            and f"policy:{p.id}:{p.version}:{thumb}" not in device.notified
        ]
        if changed:
            names = ", ".join(str(p.props.get("displayName", p.id)) for p in changed)
            out.append(
                (
                    tuple(f"policy:{p.id}:{p.version}:{thumb}" for p in changed),
                    "Settings that use your derived credential changed",
                    f"{device.name}: open Company Portal to apply {names}.",
                )
            )
    return out


def notices_for(decision: Decision, device: ManagedDevice, default_help_url: str) -> list[Notice]:
    """New notices for this check-in (causes already notified to the device are skipped)."""
    settings = decision.settings
    if settings is None or not settings.notification:
        return []
    help_url = settings.help_url or default_help_url
    notices: list[Notice] = []
    for keys, subject, message in _texts(decision, settings, device, help_url):
        if all(k in device.notified for k in keys):
            continue
        notices.extend(
            Notice(keys, channel, subject, message)
            for channel in NotificationChannel
            if channel in settings.notification
        )
    return notices


def send(
    tenant: Tenant,
    device: ManagedDevice,
    notices: list[Notice],
    now: dt.datetime,
    new_id: Callable[[], str],
) -> list[JsonObject]:
    """Record the notices: email into the outbox, every cause as notified. Returns the
    check-in's `notifications` list."""
    for n in notices:
        if n.channel is NotificationChannel.EMAIL:
            tenant.send_email(
                EmailMessage(new_id(), device.user.mail, n.subject, n.message, now, device.id)
            )
        device.notified.update(n.keys)
        tenant.device_changed(device)
    return [n.to_json() for n in notices]
