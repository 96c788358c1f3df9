"""Mock Intune's platforms are data in one module: every platform has its Graph names, every
profile type belongs to one platform's name family, and no other module names a platform."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import mock_intune
from mock_intune.platforms import ENROLLMENT_TYPES, TRAITS, Platform
from mock_intune.profiles import REGISTRY
from mock_intune.profiles.base import GRAPH_NS, ProfileType, register


def test_every_platform_has_traits() -> None:
    assert set(TRAITS) == set(Platform)
    for traits in TRAITS.values():
        assert traits.default_enrollment_type in ENROLLMENT_TYPES


@pytest.mark.parametrize(
    ("platform", "model", "device_type"),
    [
        (Platform.IOS, "iPhone15,2", "iPhone"),
        (Platform.IOS, "iPad14,1", "iPad"),
        (Platform.IOS, "", "iPhone"),
        (Platform.ANDROID, "Pixel 8", "androidEnterprise"),
        (Platform.WINDOWS, "Surface Laptop 5", "desktop"),
    ],
)
def test_device_type_comes_from_the_model_table(
    platform: Platform, model: str, device_type: str
) -> None:
    assert TRAITS[platform].device_type(model) == device_type


def test_every_profile_type_is_named_like_its_platform() -> None:
    for odata_type, ptype in REGISTRY.items():
        assert TRAITS[ptype.platform].owns_profile_type(odata_type), odata_type
    owners = {t: [p for p in Platform if TRAITS[p].owns_profile_type(t)] for t in REGISTRY}
    assert all(len(found) == 1 for found in owners.values()), owners
    assert {p for found in owners.values() for p in found} == set(Platform)


def test_a_profile_type_of_another_platforms_family_is_refused() -> None:
    class Misfiled(ProfileType):
        odata_type = GRAPH_NS + "iosDeviceFeaturesConfiguration"
        platform = Platform.WINDOWS

    with pytest.raises(ValueError, match="not named like a windows type"):
        register(Misfiled)
    assert Misfiled.odata_type not in REGISTRY


#: The names a module would use to branch on a platform.
PLATFORM_WORDS = {p.value for p in Platform} | {t.operating_system for t in TRAITS.values()}


def test_no_other_module_names_a_platform() -> None:
    """Platform knowledge lives in `platforms.py` (profile types name their platform through the
    `Platform` enum, not a string)."""
    root = Path(mock_intune.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "platforms.py" and path.parent == root:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in PLATFORM_WORDS:
                found.append(f"{path.relative_to(root)}:{node.lineno}: {node.value!r}")
    assert found == []
