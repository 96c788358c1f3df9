"""Component schemas of the OpenAPI document. Profile and settings schemas come from the same
field lists that validate input."""

from __future__ import annotations

from typing import Any

from servicekit.openapi import FAULT_PLAN_SCHEMA, NOW_SCHEMA, TIME_MOVE_SCHEMA

from .assignments import ASSIGNMENT_TYPE, FILTER_TYPES, INTENTS, TARGET_TYPES
from .derived_credentials import settings_schema
from .devices import CREDENTIAL_FIELDS, ENROLL_FIELDS, STATUS_FIELDS
from .fields import JsonObject, object_schema
from .graph_directory import GROUP_FIELDS
from .graph_errors import GRAPH_ERROR_SCHEMA
from .identity import identity_schemas
from .profiles import REGISTRY

STR: JsonObject = {"type": "string"}
NULLABLE_STR: JsonObject = {"type": ["string", "null"]}
TIME: JsonObject = {"type": "string", "format": "date-time"}
ARRAY_OF_STR: JsonObject = {"type": "array", "items": STR}


def _ref(name: str) -> JsonObject:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(props: dict[str, Any], required: tuple[str, ...] = ()) -> JsonObject:
    return {"type": "object", "properties": props, "required": list(required)}


def _profiles() -> dict[str, JsonObject]:
    out: dict[str, JsonObject] = {}
    for odata_type, ptype in sorted(REGISTRY.items()):
        out[odata_type.removeprefix("#microsoft.graph.")] = ptype.schema()
    return out


def _target() -> JsonObject:
    return _obj(
        {
            "@odata.type": {"type": "string", "enum": sorted(TARGET_TYPES)},
            "groupId": STR,
            "deviceAndAppManagementAssignmentFilterId": NULLABLE_STR,
            "deviceAndAppManagementAssignmentFilterType": {"enum": list(FILTER_TYPES)},
        },
        ("@odata.type",),
    )


def schemas() -> dict[str, Any]:
    profiles = _profiles()
    refs = [_ref(name) for name in profiles]
    mapping = {
        odata_type: f"#/components/schemas/{odata_type.removeprefix('#microsoft.graph.')}"
        for odata_type in REGISTRY
    }
    credential = object_schema(CREDENTIAL_FIELDS)
    action = _obj(
        {
            "action": {"enum": ["enrollDerivedCredential", "renewDerivedCredential"]},
            "reason": STR,
            "detail": STR,
        },
        ("action", "reason"),
    )
    return {
        "Problem": _obj(
            {"type": STR, "title": STR, "status": {"type": "integer"}, "detail": STR,
             "instance": STR, "field": STR, "allowed": ARRAY_OF_STR},
            ("type", "title", "status"),
        ),
        "GraphError": GRAPH_ERROR_SCHEMA,
        **identity_schemas(),
        "DerivedCredentialSettings": settings_schema(),
        **profiles,
        "DeviceConfiguration": {
            "oneOf": refs,
            "discriminator": {"propertyName": "@odata.type", "mapping": mapping},
        },
        "DeviceConfigurationPatch": {
            "type": "object",
            "description": "Any subset of the profile's properties; @odata.type, when given, "
            "must not change",
            "additionalProperties": True,
        },
        "AssignmentTarget": _target(),
        "DeviceConfigurationAssignment": _obj(
            {
                "@odata.type": {"const": ASSIGNMENT_TYPE},
                "id": STR,
                "intent": {"enum": list(INTENTS)},
                "source": STR,
                "sourceId": STR,
                "target": _ref("AssignmentTarget"),
            },
            ("target",),
        ),
        "AssignRequest": _obj(
            {"assignments": {"type": "array", "items": _ref("DeviceConfigurationAssignment")}},
            ("assignments",),
        ),
        "DeviceConfigurationDeviceStatus": _obj(
            {"@odata.type": STR, "id": STR, "deviceDisplayName": STR, "userName": STR,
             "userPrincipalName": STR, "deviceModel": STR, "platform": {"type": "integer"},
             "status": {"enum": ["unknown", "notApplicable", "compliant", "remediated",
                                 "nonCompliant", "error", "conflict", "notAssigned"]},
             "lastReportedDateTime": TIME},
        ),
        "GroupCreate": object_schema(GROUP_FIELDS),
        "Group": _obj({"@odata.type": STR, "id": STR, "displayName": STR,
                       "description": NULLABLE_STR, "members": ARRAY_OF_STR}),
        "ManagedDevice": _obj(
            {"@odata.type": STR, "id": STR, "userId": STR, "deviceName": STR,
             "userPrincipalName": STR, "operatingSystem": STR, "osVersion": STR, "model": STR,
             "deviceType": STR, "deviceEnrollmentType": STR, "complianceState": STR,
             "managementAgent": STR, "enrolledDateTime": TIME,
             "lastSyncDateTime": {"type": ["string", "null"], "format": "date-time"},
             "deviceActionResults": {"type": "array", "items": {"type": "object"}}},
        ),
        "EnrollRequest": object_schema(ENROLL_FIELDS),
        "EnrollResponse": _obj(
            {"deviceId": STR, "checkinToken": STR, "checkinIntervalSeconds": {"type": "integer"}},
            ("deviceId", "checkinToken"),
        ),
        "ReportedCredential": credential,
        "CheckinRequest": _obj(
            {"credential": {"oneOf": [{"type": "null"},
                                      _ref("ReportedCredential")]}}
        ),
        "CheckinResponse": _obj(
            {
                "derivedCredential": {"oneOf": [
                    {"type": "null"},
                    _ref("DerivedCredentialSettings")]},
                "policies": {"type": "array",
                             "items": _ref("DeviceConfiguration")},
                "actions": {"type": "array", "items": action},
                "notifications": {"type": "array", "items": _obj(
                    {"channel": {"enum": ["companyPortal", "email"]}, "subject": STR,
                     "message": STR}, ("channel", "message"))},
                "heldBack": {"type": "array", "items": _obj(
                    {"id": STR, "@odata.type": STR, "version": {"type": "integer"},
                     "reason": STR, "detail": STR}, ("id", "reason"))},
                "nextCheckinDateTime": TIME,
            },
            ("derivedCredential", "policies", "actions", "notifications"),
        ),
        "StatusReport": object_schema(STATUS_FIELDS),
        "SyncState": _obj({"checkinDue": {"type": "boolean"}, "nextCheckinDateTime": TIME},
                          ("checkinDue",)),
        "EmailMessage": _obj({"id": STR, "to": STR, "subject": STR, "body": STR,
                              "sentDateTime": TIME, "deviceId": STR}),
        "HistoryEntry": _obj({"at": TIME, "method": STR, "path": STR,
                              "status": {"type": "integer"}, "client_cert": {"type": "boolean"}}),
        "FaultPlan": FAULT_PLAN_SCHEMA,
        "TimeMove": TIME_MOVE_SCHEMA,
        "Now": NOW_SCHEMA,
    }  # fmt: skip
