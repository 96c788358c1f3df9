"""The OpenAPI error answers: kinds that share a status code are all listed, none dropped, and
every kind a document lists is one its server declares, at that status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mock_issuers.card_authority.spec import openapi_document as card_authority_document
from mock_issuers.issuer import ISSUERS
from mock_issuers.issuer.rekey_spec import rekey_paths
from mock_issuers.issuer.spec import openapi_document as issuer_document
from mock_issuers.kinds import KINDS
from mock_issuers.openapi import BODY_PROBLEMS, problems
from mock_issuers.purebred.kinds import KINDS as PUREBRED_KINDS
from mock_issuers.purebred.spec import console_document, device_document
from servicekit.problems import ProblemCatalog
from trust_store.problems import PROBLEM_JSON


def test_kinds_with_the_same_status_are_merged_not_overwritten() -> None:
    answers = problems(*BODY_PROBLEMS, (400, "csr-invalid, malformed"), (403, "card-revoked"))
    assert answers["400"]["description"] == "malformed, csr-invalid"
    assert answers["403"]["description"] == "card-revoked"
    assert set(answers) == {"400", "403", "413", "415"}
    assert all(
        a["content"]["application/problem+json"]["schema"]["$ref"].endswith("/Problem")
        for a in answers.values()
    )


def _listed_kinds(doc: dict[str, Any]) -> set[tuple[int, str]]:
    """(status, kind) of every problem answer a document lists."""
    return {
        (int(status), kind)
        for ops in doc["paths"].values()
        for op in ops.values()
        for status, answer in op.get("responses", {}).items()
        if PROBLEM_JSON in answer.get("content", {})
        for kind in answer["description"].split(", ")
    }


def _issuer_document(name: str) -> dict[str, Any]:
    issuer = ISSUERS[name]()
    doc = issuer_document(issuer)
    doc["paths"].update(rekey_paths(issuer))
    return doc


@pytest.mark.parametrize(
    ("server", "document", "catalogue"),
    [
        ("card-authority", card_authority_document, KINDS),
        ("entrust", lambda: _issuer_document("entrust"), KINDS),
        ("intercede", lambda: _issuer_document("intercede"), KINDS),
        ("purebred-console", console_document, PUREBRED_KINDS),
        ("purebred-device", device_document, PUREBRED_KINDS),
    ],
)
def test_every_listed_kind_is_declared_in_the_servers_catalogue_with_its_status(
    server: str, document: Callable[[], dict[str, Any]], catalogue: ProblemCatalog
) -> None:
    listed = _listed_kinds(document())
    assert listed, server
    assert {(s, k) for s, k in listed if k not in catalogue} == set()
    assert {(s, k) for s, k in listed if catalogue[k].status != s} == set()
