"""The device channel (what Company Portal / the MDM agent uses; not Graph): enrollment,
check-in and status reports, authenticated by a bearer check-in token."""

from __future__ import annotations

from aiohttp import web

from servicekit.problems import read_json
from trust_store.clock import isoformat

from .checkin_actions import decide
from .devices import Enrollment, parse_checkin, parse_enroll, parse_status
from .env import Env, json, no_content
from .managed_devices import DeviceStatus, ManagedDevice, User
from .model import token_digest
from .notifications import notices_for, send
from .openapi import Route
from .problems import NotFound, Unauthorized, field_error


def authenticate(request: web.Request, env: Env) -> ManagedDevice:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send Authorization: Bearer <checkinToken> from enroll")
    device = env.tenant.device_by_token(token.strip())
    if device is None:
        raise Unauthorized("unknown check-in token")
    return device


async def enroll(request: web.Request) -> web.Response:
    env = Env.of(request)
    e = parse_enroll(await read_json(request), strict=env.settings.strict)
    now = env.now()
    # Any UPN is accepted: the user is created in the tenant on first sight.
    user = env.tenant.users.get(e.upn.lower())
    if user is None:
        user = env.tenant.add_user(User(env.new_id(), e.upn))
    token = env.rand.token_urlsafe(32)
    again = _enrolled_before(env, e, user)
    if again is not None:
        # The same hardware enrolls again (it lost its token, or the service forgot it): one
        # managed device, with a new check-in token that replaces the old one.
        env.tenant.new_checkin_token(again, token)
        return json(_enrolled_answer(env, again, token), 200)
    device = ManagedDevice(
        id=env.new_id(),
        user=user,
        name=e.device_name,
        platform=e.platform,
        os_version=e.os_version,
        model=e.model,
        enrollment_type=e.enrollment_type,
        enrolled=now,
        checkin_token_digest=token_digest(token),
        next_checkin=now,
        hardware_id=e.hardware_id,
    )
    env.tenant.add_device(device)
    return json(_enrolled_answer(env, device, token), 201)


def _enrolled_before(env: Env, e: Enrollment, user: User) -> ManagedDevice | None:
    if not e.hardware_id:
        return None
    for device in env.tenant.devices.values():
        if device.hardware_id == e.hardware_id and device.user is user:
            return device
    return None


def _enrolled_answer(env: Env, device: ManagedDevice, token: str) -> dict[str, object]:
    return {
        "deviceId": device.id,
        "checkinToken": token,
        "checkinIntervalSeconds": int(env.settings.checkin_interval.total_seconds()),
    }


async def checkin(request: web.Request) -> web.Response:
    env = Env.of(request)
    device = authenticate(request, env)
    credential = parse_checkin(await read_json(request), strict=env.settings.strict)
    now = env.now()
    device.credential = credential
    decision = decide(env.tenant, device, now)
    notices = notices_for(decision, device, env.settings.default_help_url)
    notifications = send(env.tenant, device, notices, now, env.new_id)
    device.last_sync = now
    device.next_checkin = now + env.settings.checkin_interval
    for a in device.actions:
        if a.state == "pending":
            a.state, a.updated = "done", now
    env.tenant.device_changed(device)
    return json(
        {
            "derivedCredential": decision.settings.to_json() if decision.settings else None,
            "policies": [p.to_device_json() for p in decision.delivered],
            "actions": [decision.action.to_json()] if decision.action else [],
            "notifications": notifications,
            "heldBack": [h.to_json() for h in decision.held],
            "nextCheckinDateTime": isoformat(device.next_checkin),
        }
    )


async def status(request: web.Request) -> web.Response:
    env = Env.of(request)
    device = authenticate(request, env)
    report = parse_status(await read_json(request), strict=env.settings.strict)
    profile = env.tenant.profiles.get(report.policy_id)
    if profile is None:
        raise NotFound(f"no device configuration {report.policy_id!r}", field="policyId")
    if report.version > profile.version:
        raise field_error("version", f"the profile's latest version is {profile.version}")
    env.tenant.set_status(
        DeviceStatus(device, profile.id, report.version, report.status, report.detail, env.now())
    )
    return no_content()


async def sync_state(request: web.Request) -> web.Response:
    """Stands in for the push (APNs/FCM/WNS) that makes a device check in after `syncDevice`."""
    env = Env.of(request)
    device = authenticate(request, env)
    return json(
        {
            "checkinDue": env.now() >= device.next_checkin,
            "nextCheckinDateTime": isoformat(device.next_checkin),
        }
    )


TAG = "device"

ROUTES = [
    Route("POST", "/device/v1/enroll", enroll, "enrollDevice",
          "Enroll a device (MDM); the user is created on first sight; the same hardware "
          "enrolling again (200) gets its managed device back with a new check-in token", TAG,
          request="EnrollRequest", status=201, response="EnrollResponse",
          problems=(400, 413, 415), also=(200,)),
    Route("POST", "/device/v1/checkin", checkin, "checkIn",
          "Report the derived credential held; receive settings, policies, actions and "
          "notifications", TAG, request="CheckinRequest", response="CheckinResponse",
          bearer=True, problems=(400, 401, 413, 415)),
    Route("POST", "/device/v1/status", status, "reportStatus",
          "Report a profile's installation status", TAG, request="StatusReport", status=204,
          bearer=True, problems=(400, 401, 404, 413, 415)),
    Route("GET", "/device/v1/sync", sync_state, "syncState",
          "Whether a check-in is due (after syncDevice or the check-in interval)", TAG,
          response="SyncState", bearer=True, problems=(401,)),
]  # fmt: skip
