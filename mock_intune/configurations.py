"""Creating, editing and deleting device-configuration profiles in a tenant.

Every check runs first; the tenant is changed only once the whole request is known to be good.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

from .fields import JsonObject, refuse_unknown, require_list
from .model import Profile, Records, Tenant
from .problems import Conflict, field_error
from .profiles import ProfileType, lookup, normalise_type
from .profiles.base import READ_ONLY

#: `deviceConfigurations/{id}`, relative or absolute, optionally in OData key syntax.
_REF = re.compile(r"deviceConfigurations(?:/|\(')([A-Za-z0-9._~-]+)(?:'\))?/?$")


def _split(ptype: ProfileType, body: Mapping[str, Any], strict: bool) -> JsonObject:
    """The writable properties of `body`: recognised ones and tolerated unknown ones."""
    if strict:
        refuse_unknown(body, ptype.known_names)
    binds = {r.bind_key for r in ptype.references}
    return {
        k: v
        for k, v in body.items()
        if k not in READ_ONLY and k not in binds and not k.startswith("@")
    }


def _resolve_refs(
    tenant: Tenant, ptype: ProfileType, body: Mapping[str, Any]
) -> dict[str, list[str]]:
    """Relationships bound in `body` (`<name>@odata.bind`), as lists of profile ids."""
    out: dict[str, list[str]] = {}
    for ref in ptype.references:
        if ref.bind_key not in body:
            continue
        items = require_list(body[ref.bind_key], ref.bind_key, ref.max_items)
        ids: list[str] = []
        for i, item in enumerate(items):
            path = f"{ref.bind_key}[{i}]"
            m = _REF.search(item) if isinstance(item, str) else None
            if m is None:
                raise field_error(path, "must be a deviceConfigurations/{id} reference")
            target = tenant.profiles.get(m.group(1))
            if target is None:
                raise field_error(path, f"no device configuration {m.group(1)!r}")
            if target.odata_type not in ref.target_types:
                raise field_error(
                    path,
                    f"{target.id} is a {target.odata_type}, not one of "
                    + ", ".join(ref.target_types),
                    allowed=list(ref.target_types),
                )
            if target.id not in ids:
                ids.append(target.id)
        out[ref.name] = ids
    return out


def create_profile(
    tenant: Tenant,
    body: Mapping[str, Any],
    *,
    new_id: Callable[[], str],
    now: dt.datetime,
    strict: bool = False,
) -> Profile:
    ptype = lookup(body.get("@odata.type"))
    writable = _split(ptype, body, strict)
    recognised = ptype.validate(writable)
    refs = _resolve_refs(tenant, ptype, body)
    profile = Profile(
        id=new_id(),
        odata_type=ptype.odata_type,
        props={**writable, **recognised},
        created=now,
        modified=now,
        refs={r.name: refs.get(r.name, []) for r in ptype.references},
        saved_epoch=tenant.issuer_epoch,
    )
    tenant.add_profile(profile)
    return profile


def patch_profile(
    tenant: Tenant,
    profile: Profile,
    body: Mapping[str, Any],
    *,
    now: dt.datetime,
    strict: bool = False,
) -> Profile:
    """Apply a PATCH. Any PATCH is an edit: `version` goes up by one even when nothing else
    changes, and a profile held back after an issuer deletion becomes deliverable again."""
    ptype = profile.type
    t = body.get("@odata.type")
    if t is not None and (not isinstance(t, str) or normalise_type(t) != profile.odata_type):
        raise field_error(
            "@odata.type", f"must stay {profile.odata_type}", allowed=[profile.odata_type]
        )
    merged = {**profile.props, **_split(ptype, body, strict)}
    recognised = ptype.validate(merged)
    refs = _resolve_refs(tenant, ptype, body)
    profile.props = {**merged, **recognised}
    profile.refs.update(refs)
    profile.version += 1
    profile.modified = now
    profile.saved_epoch = tenant.issuer_epoch
    tenant.touch(Records.PROFILES, profile.id)
    return profile


def delete_profile(tenant: Tenant, profile_id: str) -> None:
    """Delete a profile with its assignments and statuses. A profile that others reference
    (a trusted root used by a Wi-Fi profile) is refused with 409 until they let go."""
    tenant.profile(profile_id)
    users = tenant.referrers(profile_id)
    if users:
        raise Conflict(
            f"device configuration {profile_id} is referenced by " + ", ".join(p.id for p in users),
            referencedBy=[p.id for p in users],
        )
    tenant.remove_profile(profile_id)
