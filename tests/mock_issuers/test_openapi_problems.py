"""The OpenAPI error answers: kinds that share a status code are all listed, none dropped."""

from __future__ import annotations

from mock_issuers.openapi import BODY_PROBLEMS, problems


def test_kinds_with_the_same_status_are_merged_not_overwritten() -> None:
    answers = problems(*BODY_PROBLEMS, (400, "csr-invalid, malformed"), (403, "card-revoked"))
    assert answers["400"]["description"] == "malformed, csr-invalid"
    assert answers["403"]["description"] == "card-revoked"
    assert set(answers) == {"400", "403", "413", "415"}
    assert all(
        a["content"]["application/problem+json"]["schema"]["$ref"].endswith("/Problem")
        for a in answers.values()
    )
