"""schemathesis against every server's own OpenAPI document, over real loopback HTTPS: for every
operation, positive and negative cases (bounded, derandomized), every check schemathesis has
(no server error, status codes, content types, response schemas and headers, negative data
rejected, positive data accepted, ...). A failure names the operation and the case to repeat.

Each server's requests carry the headers its routes need (`ServedLab`: the admin token on the
lab controls, a Graph token on mock Intune's /beta, portal and device bearer tokens prepared
before the run); `ServedLab.start(headers=...)` adds headers to every call."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.fuzz.servers import SERVER_NAMES, ServedLab, Target

pytestmark = pytest.mark.slow

SERVERS = SERVER_NAMES
#: Examples per operation and generation mode (positive, negative).
MAX_EXAMPLES = 25

#: Operations whose valid requests a schema cannot describe: what they carry must be checked
#: beyond its shape (a DER structure, a signature, a secret handed out earlier, a record that
#: must exist). Positive data may be refused there with 400; every other check still runs.
SEMANTIC: dict[tuple[str, str], str] = {
    ("POST", "/ocsp"): "a DER OCSP request",
    ("GET", "/ocsp/{request}"): "a DER OCSP request, base64 in the path",
    (
        "POST",
        "/admin/cards",
    ): "signed PKCS#10 requests with FPKI keys; names bounded in UTF-8 bytes",
    ("POST", "/admin/people/{upn}"): "a common name bounded in UTF-8 bytes",
    ("POST", "/device/v1/activations"): "the activation token the portal handed out",
    ("POST", r"^/\.well-known/est/[^/]+/simpleenroll$"): "a signed PKCS#10 request",
    ("POST", "/device/v1/credential/rekey"): "signed PKCS#10 requests",
    ("POST", "/device/v1/pre-enroll"): "a one-time passcode an agent handed out",
    ("POST", "/device/v1/enroll"): "a one-time passcode an agent handed out (Purebred)",
    ("POST", "/{tenant}/oauth2/v2.0/token"): "the tenant's client id and secret",
    ("POST", "/beta/deviceManagement/deviceConfigurations"): "DER certificates, references",
    ("PATCH", "/beta/deviceManagement/deviceConfigurations/{id}"): "DER certificates",
    ("PATCH", "/beta/deviceManagement/derivedCredentials/{id}"): "the issuer cannot change",
    ("POST", "/device/v1/status"): "the version a profile has reached",
    ("POST", "/admin/time"): "the lab clock only moves forward, and only so far",
}


#: How negative data may be refused: schemathesis's statuses, and 413 (a body too large to read
#: is refused before its schema matters).
EXPECTED_REFUSALS = ["400", "401", "403", "404", "405", "409", "413", "415", "422"]


def _config() -> Any:
    operations = []
    for (method, path), _why in SEMANTIC.items():
        where = {"include-path-regex": path} if path.startswith("^") else {"include-path": path}
        operations.append(
            {
                **where,
                "include-method": method,
                "checks": {"positive_data_acceptance": {"enabled": False}},
            }
        )
    return schemathesis.Config.from_dict(
        {
            "checks": {
                # A request too large to read is refused too (413), before its schema matters.
                "negative_data_rejection": {"expected-statuses": EXPECTED_REFUSALS}
            },
            "operations": operations,
        }
    )


# The binary bodies: DER OCSP requests are sent as the bytes generated for `format: binary`;
# EST's application/pkcs10 bodies are base64 text.
schemathesis.serializer.alias("application/ocsp-request", "application/octet-stream")
schemathesis.serializer.alias("application/pkcs10", "text/plain")


@pytest.fixture
def served() -> Iterator[ServedLab]:
    """A fresh lab per server: a run may move the lab clock or reset state (POST /admin/time,
    /admin/reset), and each server's run must not depend on which ran before it."""
    with ServedLab.start() as lab:
        yield lab


@pytest.mark.parametrize("name", SERVERS)
def test_schemathesis_finds_nothing(served: ServedLab, name: str) -> None:
    target = served.targets[name]
    schema = schemathesis.openapi.from_dict(target.openapi, config=_config())
    with served.session() as http:
        failures = _fuzz(schema, target, http, served.ca_file)
    assert not failures, "\n\n".join(failures)


def _fuzz(schema: Any, target: Target, http: requests.Session, ca_file: str) -> list[str]:
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case: Any) -> None:
                case.call_and_validate(
                    base_url=target.url,
                    session=http,
                    headers=target.headers_for(case.formatted_path),
                    cert=target.client_cert,
                    verify=ca_file,
                    timeout=30,
                )

            try:
                check()
            except Unsatisfiable:
                continue  # nothing to negate (no parameters, no body)
            except (Exception, BaseExceptionGroup) as e:  # every failure reported, then asserted
                failures.append(f"{operation.label} [{mode.value}]: {e}")
    return failures
