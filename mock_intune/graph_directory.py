"""Admin API, Graph beta shaped: groups (members inline by UPN, a lab shortcut) and managed
devices with `syncDevice`."""

from __future__ import annotations

from aiohttp import web

from servicekit.problems import read_json

from .devices import upn_field
from .env import Env, collection, json, no_content
from .fields import Field, Text, TextList, read_fields, refuse_unknown
from .managed_devices import DeviceAction
from .model import Group
from .openapi import Route

GROUP_FIELDS: tuple[Field, ...] = (
    Text(name="displayName", required=True, min_length=1, max_length=256, line=True),
    Text(name="description", max_length=1024),
    TextList(
        name="members",
        max_items=10000,
        max_length=256,
        item=upn_field("members"),
        description="member UPNs",
    ),
)
GROUP_READ_ONLY = ("id", "@odata.type", "@odata.context", "createdDateTime")


async def create_group(request: web.Request) -> web.Response:
    env = Env.of(request)
    body = await read_json(request)
    known = [f.name for f in GROUP_FIELDS] + list(GROUP_READ_ONLY)
    if env.settings.strict:
        refuse_unknown(body, known)
    v = read_fields(GROUP_FIELDS, body)
    members = v.get("members") or []
    extra = {k: val for k, val in body.items() if k not in known and not k.startswith("@")}
    group = Group(
        env.new_id(),
        v["displayName"],
        frozenset(m.lower() for m in members),
        env.now(),
        v.get("description"),
        extra,
    )
    env.tenant.add_group(group)
    return json(group.to_json(), 201)


async def list_groups(request: web.Request) -> web.Response:
    t = Env.of(request).tenant
    return collection(request, "groups", [g.to_json() for g in t.groups.values()])


async def get_group(request: web.Request) -> web.Response:
    return json(Env.of(request).tenant.group(request.match_info["id"]).to_json())


async def list_devices(request: web.Request) -> web.Response:
    t = Env.of(request).tenant
    items = [d.to_json() for d in t.devices.values()]
    return collection(request, "deviceManagement/managedDevices", items)


async def get_device(request: web.Request) -> web.Response:
    return json(Env.of(request).tenant.device(request.match_info["id"]).to_json())


async def sync_device(request: web.Request) -> web.Response:
    """The device's next check-in is due now; the action stays `pending` until it checks in."""
    env = Env.of(request)
    device = env.tenant.device(request.match_info["id"])
    now = env.now()
    device.next_checkin = now
    device.actions = [a for a in device.actions if a.name != "syncDevice"]
    device.actions.append(DeviceAction("syncDevice", "pending", now, now))
    env.tenant.device_changed(device)
    return no_content()


MD = "/beta/deviceManagement/managedDevices"

ROUTES = [
    Route("POST", "/beta/groups", create_group, "createGroup",
          "Create a group; members are UPNs given inline (lab shortcut)", "groups",
          request="GroupCreate", status=201, response="Group", problems=(400, 413, 415)),
    Route("GET", "/beta/groups", list_groups, "listGroups", "Every group", "groups",
          response="Group", collection=True),
    Route("GET", "/beta/groups/{id}", get_group, "getGroup", "One group", "groups",
          response="Group", problems=(404,)),
    Route("GET", MD, list_devices, "listManagedDevices", "Every enrolled device",
          "managedDevices", response="ManagedDevice", collection=True),
    Route("GET", MD + "/{id}", get_device, "getManagedDevice", "One enrolled device",
          "managedDevices", response="ManagedDevice", problems=(404,)),
    Route("POST", MD + "/{id}/syncDevice", sync_device, "syncManagedDevice",
          "Make the device's next check-in due now", "managedDevices", status=204,
          problems=(404,)),
]  # fmt: skip
