"""Admin API, Graph beta shaped: derived-credential settings and device configurations with
their assignments and device statuses. Groups and managed devices are in `graph_directory`."""

from __future__ import annotations

from aiohttp import web

from servicekit.problems import read_json

from .assignments import parse_assign_body
from .checkin_actions import hold
from .configurations import create_profile, delete_profile, patch_profile
from .derived_credentials import patched_settings, settings_from_json
from .env import Env, collection, json, no_content
from .fields import JsonObject
from .model import Profile, Tenant
from .openapi import Route

DC = "/beta/deviceManagement/derivedCredentials"
CONFIGS = "/beta/deviceManagement/deviceConfigurations"


# --- derived-credential settings --------------------------------------------------------------


async def list_settings(request: web.Request) -> web.Response:
    s = Env.of(request).tenant.settings
    return collection(request, "deviceManagement/derivedCredentials", [s.to_json()] if s else [])


async def create_settings(request: web.Request) -> web.Response:
    env = Env.of(request)
    body = await read_json(request)
    settings = settings_from_json(body, env.new_id, strict=env.settings.strict)
    env.tenant.add_settings(settings)
    return json(settings.to_json(), 201)


async def get_settings(request: web.Request) -> web.Response:
    env = Env.of(request)
    return json(env.tenant.settings_by_id(request.match_info["id"]).to_json())


async def patch_settings(request: web.Request) -> web.Response:
    env = Env.of(request)
    current = env.tenant.settings_by_id(request.match_info["id"])
    body = await read_json(request)
    settings = patched_settings(current, body, strict=env.settings.strict)
    env.tenant.replace_settings(settings)
    return json(settings.to_json())


async def delete_settings(request: web.Request) -> web.Response:
    Env.of(request).tenant.delete_settings(request.match_info["id"])
    return no_content()


# --- device configurations --------------------------------------------------------------------


def profile_json(tenant: Tenant, profile: Profile) -> JsonObject:
    """The Graph entity, plus a lab annotation when the profile is held back from devices."""
    out = profile.to_json()
    h = hold(tenant, profile)
    if h is not None:
        out["@dcemu.deliveryHold"] = {"reason": h.reason.value, "detail": h.detail}
    return out


async def list_profiles(request: web.Request) -> web.Response:
    t = Env.of(request).tenant
    items = [profile_json(t, p) for p in t.profiles.values()]
    return collection(request, "deviceManagement/deviceConfigurations", items)


async def create(request: web.Request) -> web.Response:
    env = Env.of(request)
    body = await read_json(request)
    p = create_profile(
        env.tenant, body, new_id=env.new_id, now=env.now(), strict=env.settings.strict
    )
    return json(profile_json(env.tenant, p), 201)


async def get_profile(request: web.Request) -> web.Response:
    t = Env.of(request).tenant
    return json(profile_json(t, t.profile(request.match_info["id"])))


async def patch(request: web.Request) -> web.Response:
    env = Env.of(request)
    p = env.tenant.profile(request.match_info["id"])
    body = await read_json(request)
    patch_profile(env.tenant, p, body, now=env.now(), strict=env.settings.strict)
    return json(profile_json(env.tenant, p))


async def delete(request: web.Request) -> web.Response:
    delete_profile(Env.of(request).tenant, request.match_info["id"])
    return no_content()


async def assign(request: web.Request) -> web.Response:
    env = Env.of(request)
    p = env.tenant.profile(request.match_info["id"])
    body = await read_json(request)
    assignments = parse_assign_body(
        body,
        p.id,
        lambda gid: gid in env.tenant.groups,
        env.new_id,
        strict=env.settings.strict,
    )
    env.tenant.set_assignments(p.id, assignments)
    return collection(
        request,
        "Collection(microsoft.graph.deviceConfigurationAssignment)",
        [a.to_json() for a in assignments],
    )


async def list_assignments(request: web.Request) -> web.Response:
    t = Env.of(request).tenant
    p = t.profile(request.match_info["id"])
    items = [a.to_json() for a in t.assignments.get(p.id, [])]
    return collection(
        request, f"deviceManagement/deviceConfigurations('{p.id}')/assignments", items
    )


async def device_statuses(request: web.Request) -> web.Response:
    t = Env.of(request).tenant
    p = t.profile(request.match_info["id"])
    items = [s.to_json() for s in t.statuses_of(p.id)]
    return collection(
        request, f"deviceManagement/deviceConfigurations('{p.id}')/deviceStatuses", items
    )


TAG_DC = "derivedCredentials"
TAG_CFG = "deviceConfigurations"

ROUTES = [
    Route("GET", DC, list_settings, "listDerivedCredentials",
          "The tenant's derived-credential settings (zero or one)", TAG_DC,
          response="DerivedCredentialSettings", collection=True),
    Route("POST", DC, create_settings, "createDerivedCredentials",
          "Configure the tenant's single derived-credential issuer", TAG_DC,
          request="DerivedCredentialSettings", status=201, response="DerivedCredentialSettings",
          problems=(400, 409, 413, 415)),
    Route("GET", DC + "/{id}", get_settings, "getDerivedCredentials",
          "One derived-credential settings object", TAG_DC,
          response="DerivedCredentialSettings", problems=(404,)),
    Route("PATCH", DC + "/{id}", patch_settings, "updateDerivedCredentials",
          "Edit the settings; the issuer is immutable (400 issuer-immutable)", TAG_DC,
          request="DerivedCredentialSettings", response="DerivedCredentialSettings",
          problems=(400, 404, 413, 415)),
    Route("DELETE", DC + "/{id}", delete_settings, "deleteDerivedCredentials",
          "Delete the settings: every credential issued under them stops working", TAG_DC,
          status=204, problems=(404,)),
    Route("GET", CONFIGS, list_profiles, "listDeviceConfigurations",
          "Every device-configuration profile", TAG_CFG,
          response="DeviceConfiguration", collection=True),
    Route("POST", CONFIGS, create, "createDeviceConfiguration",
          "Create a profile of the type named by @odata.type", TAG_CFG,
          request="DeviceConfiguration", status=201, response="DeviceConfiguration",
          problems=(400, 413, 415)),
    Route("GET", CONFIGS + "/{id}", get_profile, "getDeviceConfiguration",
          "One profile", TAG_CFG, response="DeviceConfiguration", problems=(404,)),
    Route("PATCH", CONFIGS + "/{id}", patch, "updateDeviceConfiguration",
          "Edit a profile; version goes up by one on every PATCH", TAG_CFG,
          request="DeviceConfigurationPatch", response="DeviceConfiguration",
          problems=(400, 404, 413, 415)),
    Route("DELETE", CONFIGS + "/{id}", delete, "deleteDeviceConfiguration",
          "Delete a profile (409 while another profile references it)", TAG_CFG,
          status=204, problems=(404, 409)),
    Route("POST", CONFIGS + "/{id}/assign", assign, "assignDeviceConfiguration",
          "Replace the profile's assignments", TAG_CFG, request="AssignRequest",
          response="DeviceConfigurationAssignment", collection=True,
          problems=(400, 404, 413, 415)),
    Route("GET", CONFIGS + "/{id}/assignments", list_assignments,
          "listDeviceConfigurationAssignments", "The profile's assignments", TAG_CFG,
          response="DeviceConfigurationAssignment", collection=True, problems=(404,)),
    Route("GET", CONFIGS + "/{id}/deviceStatuses", device_statuses,
          "listDeviceConfigurationDeviceStatuses",
          "Latest status reported by each device for the profile", TAG_CFG,
          response="DeviceConfigurationDeviceStatus", collection=True, problems=(404,)),
]  # fmt: skip
