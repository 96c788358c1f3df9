"""Every server's OpenAPI document, as it serves it, is valid OpenAPI 3.1 and says what the
code does: templated paths declare their parameters, binary bodies are declared as such, and
the admin routes need the admin token."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import schemathesis

from tests.fuzz.servers import SERVER_NAMES, ServedLab

SERVERS = SERVER_NAMES
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


@pytest.fixture(scope="module")
def served() -> Iterator[ServedLab]:
    with ServedLab.start() as lab:
        yield lab


@pytest.mark.parametrize("name", SERVERS)
def test_the_served_document_is_valid_openapi(served: ServedLab, name: str) -> None:
    doc = served.targets[name].openapi
    assert doc["openapi"].startswith("3.1")
    schemathesis.openapi.from_dict(doc).validate()


@pytest.mark.parametrize("name", SERVERS)
def test_templated_paths_declare_their_parameters(served: ServedLab, name: str) -> None:
    for path, item in served.targets[name].openapi["paths"].items():
        names = set(re.findall(r"\{([^}]+)\}", path))
        for method, op in item.items():
            if method not in METHODS:
                continue
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == names, (name, method, path)


@pytest.mark.parametrize("name", SERVERS)
def test_binary_bodies_and_admin_security_are_declared(served: ServedLab, name: str) -> None:
    paths = served.targets[name].openapi["paths"]
    for path, item in paths.items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            content = op.get("requestBody", {}).get("content", {})
            if "application/ocsp-request" in content:
                assert content["application/ocsp-request"]["schema"]["format"] == "binary"
            if "application/pkcs10" in content:
                assert content["application/pkcs10"]["schema"]["contentEncoding"] == "base64"
            if path.startswith("/admin"):
                assert op["security"] == [{"adminToken": []}], (method, path)
                assert "401" in op["responses"]
    assert "/admin/faults" in paths and "put" in paths["/admin/faults"]
