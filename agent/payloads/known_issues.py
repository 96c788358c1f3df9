"""Documented product defects the agent reproduces, each a named switch.

A known issue is on by default: the device behaves as the real product is documented to behave.
A tester switches one off (`resolve(disable=[...])`, then `ProfileContext(known_issues=...)`) to
see the flow as it would work once fixed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import ProfileError, UnsupportedError
from ..platforms import Family


@dataclass(frozen=True)
class KnownIssue:
    name: str
    family: Family
    summary: str
    source: str

    def raise_for(self, policy_id: str) -> None:
        raise ProfileError(
            f"profile {policy_id}: known issue {self.name}: {self.summary} ({self.source}); "
            f"switch the known issue off to apply the profile anyway"
        )


WINDOWS_VPN_DERIVED_CREDENTIAL = KnownIssue(
    name="windows-vpn-derived-credential",
    family=Family.WINDOWS,
    summary=(
        "derived credentials as an authentication method for VPN profiles aren't working as "
        "expected on Windows devices (no ETA for a fix)"
    ),
    source="Microsoft Intune documentation, 'Use derived credentials with Microsoft Intune', "
    "section 'Derived credentials for Windows'",
)

#: Every known issue, by name.
KNOWN_ISSUES: dict[str, KnownIssue] = {i.name: i for i in (WINDOWS_VPN_DERIVED_CREDENTIAL,)}
#: All known issues are on unless switched off.
DEFAULT_KNOWN_ISSUES: frozenset[str] = frozenset(KNOWN_ISSUES)


def resolve(
    *, enable: Iterable[str] = (), disable: Iterable[str] = (), base: Iterable[str] | None = None
) -> frozenset[str]:
    """The set of active known issues: `base` (default: all) plus `enable` minus `disable`.
    Unknown names are refused with the list of known ones."""
    enable, disable = list(enable), list(disable)
    unknown = sorted(n for n in (*enable, *disable) if n not in KNOWN_ISSUES)
    if unknown:
        raise UnsupportedError(
            f"unknown known issue(s) {', '.join(unknown)}; known: {', '.join(sorted(KNOWN_ISSUES))}"
        )
    active = set(DEFAULT_KNOWN_ISSUES if base is None else base)
    return frozenset((active | set(enable)) - set(disable))
