"""The dependency rule around the servers' kit: the agent never imports it (it reads problem
documents through `trust_store.problems`), and the kit imports no server, agent or lab code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imported(package: str) -> set[tuple[str, str]]:
    """(file, top-level package) of every absolute import in `package`."""
    found = set()
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found.update((str(path.relative_to(ROOT)), n.split(".")[0]) for n in names)
    return found


def test_the_agent_never_imports_the_servers_kit() -> None:
    assert {f for f, top in _imported("agent") if top == "servicekit"} == set()


@pytest.mark.parametrize("forbidden", ["agent", "lab", "mock_issuers", "mock_intune", "mock_rp"])
def test_the_kit_imports_no_server_agent_or_lab_code(forbidden: str) -> None:
    assert {f for f, top in _imported("servicekit") if top == forbidden} == set()
    assert {f for f, top in _imported("trust_store") if top in ("servicekit", forbidden)} == set()
