"""The relying party's OpenAPI document lists only kinds its own catalogue declares."""

from __future__ import annotations

from mock_rp.openapi import openapi_document
from mock_rp.problems import KINDS
from trust_store.problems import PROBLEM_JSON


def test_every_listed_kind_is_declared_by_the_relying_party_with_its_status() -> None:
    doc = openapi_document("mock-rp")
    listed = {
        (int(status), kind)
        for ops in doc["paths"].values()
        for op in ops.values()
        for status, answer in op.get("responses", {}).items()
        if PROBLEM_JSON in answer.get("content", {})
        for kind in answer["description"].split(", ")
    }
    assert (403, "credential-revoked") in listed
    assert all(kind in KINDS and KINDS[kind].status == status for status, kind in listed)
