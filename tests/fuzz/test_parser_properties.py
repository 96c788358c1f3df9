"""Property tests of the servers' parsers: whatever bytes or JSON arrive, each parser either
reads them or refuses them with its own typed error (a 4xx problem on the wire), never with
anything else. Derandomized and bounded, so CI sees the same examples every run."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp as x509_ocsp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.errors import EnrollmentError
from agent.issuers.entrust import Entrust
from mock_intune.assignments import parse_assign_body
from mock_intune.configurations import create_profile
from mock_intune.derived_credentials import settings_from_json
from mock_intune.devices import parse_checkin, parse_enroll, parse_status
from mock_intune.model import Tenant
from mock_issuers.csr import check_csr
from mock_issuers.kinds import CsrInvalid
from mock_issuers.purebred.otps import OtpStep, OtpStore
from mock_issuers.purebred.preenroll import normalise_fingerprint
from servicekit import jsonbody
from servicekit.faults import MAX_LATENCY_MS, FaultPlan
from servicekit.problems import Problem
from tests.mock_issuers.testkit import csr_der, ec_key
from trust_store.clock import ManualClock
from trust_store.labpki import LabPKI
from trust_store.ocsp import MalformedOcspRequest, parse_request
from trust_store.randomness import Randomness

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
BOUNDED = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Any JSON value (what `jsonbody.loads` can hand a reader).
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
JSON_OBJECTS = st.dictionaries(st.text(max_size=24), JSON_VALUES, max_size=8)


def mutations(good: bytes) -> st.SearchStrategy[bytes]:
    """`good` with a few bytes changed, cut short or grown: close enough to be parsed deep."""

    @st.composite
    def mutate(draw: st.DrawFn) -> bytes:
        data = bytearray(good)
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(data) - 1))
            data[i] = draw(st.integers(0, 255))
        cut = draw(st.integers(0, len(data)))
        return bytes(data[:cut]) + draw(st.binary(max_size=8))

    return mutate()


def refused_with_a_problem(error: BaseException) -> bool:
    return isinstance(error, Problem) and 400 <= error.status < 500


# --- the JSON reader ----------------------------------------------------------------------------


@BOUNDED
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_the_json_reader_reads_or_refuses_any_bytes(raw: bytes) -> None:
    with contextlib.suppress(jsonbody.JsonRefused):
        jsonbody.loads(raw)


@BOUNDED
@given(JSON_VALUES)
def test_the_json_reader_reads_what_it_would_answer(value: Any) -> None:
    assert jsonbody.loads(json.dumps(value)) == value


# --- CSR ----------------------------------------------------------------------------------------

GOOD_CSR = csr_der(ec_key())


@BOUNDED
@given(st.binary(max_size=300) | mutations(GOOD_CSR))
def test_a_csr_is_checked_or_csr_invalid(der: bytes) -> None:
    with contextlib.suppress(CsrInvalid):
        check_csr(der)


# --- OCSP request -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki() -> LabPKI:
    return LabPKI.create(ManualClock(NOW), Randomness(7), ())


def _ocsp_request(pki: LabPKI) -> bytes:
    h = pki.piv
    builder = x509_ocsp.OCSPRequestBuilder().add_certificate(
        h.issuing.cert, h.root.cert, hashes.SHA256()
    )
    return builder.build().public_bytes(serialization.Encoding.DER)


def test_an_ocsp_request_is_parsed_or_malformed(pki: LabPKI) -> None:
    good = _ocsp_request(pki)

    @BOUNDED
    @given(st.binary(max_size=200) | mutations(good))
    def check(der: bytes) -> None:
        with contextlib.suppress(MalformedOcspRequest):
            parse_request(der)
        # The responder answers whatever arrives with an OCSP response, never an exception.
        x509_ocsp.load_der_ocsp_response(pki.piv.responder.respond(der))

    check()


# --- QR payload ---------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
               min_size=1, max_size=64))  # fmt: skip
def test_a_qr_payload_round_trips_through_the_png(token: str) -> None:
    from agent.camera import decode_qr
    from mock_issuers.issuer.base import ISSUERS
    from mock_issuers.issuer.qr import qr_png

    payload = ISSUERS["entrust"]().qr_payload(token)
    assert Entrust("https://issuer.invalid").parse_qr(decode_qr(qr_png(payload))) == token


@BOUNDED
@given(st.text(max_size=200))
def test_a_scanned_text_is_a_token_or_refused(text: str) -> None:
    client = Entrust("https://issuer.invalid")
    try:
        token = client.parse_qr(text)
    except EnrollmentError:
        return
    assert text == client.qr_prefix + token and 0 < len(token) <= 128


# --- one-time passcodes and fingerprints --------------------------------------------------------


@BOUNDED
@given(st.text(max_size=40), st.sampled_from(list(OtpStep)))
def test_a_passcode_is_valid_or_refused_with_a_problem(code: str, step: OtpStep) -> None:
    store = OtpStore(Randomness(3), digits=8)
    issued = store.issue(
        OtpStep.ENROLL, uuid.UUID(int=1), "agent:a@x", NOW, dt.timedelta(minutes=3)
    )
    try:
        otp = store.check(code, step, NOW)
    except Problem as e:
        assert refused_with_a_problem(e)
        return
    assert otp is issued and code == issued.code and step is OtpStep.ENROLL


@BOUNDED
@given(st.text(max_size=80))
def test_a_typed_fingerprint_normalises_to_letters_and_digits(text: str) -> None:
    assert all(c.isalnum() for c in normalise_fingerprint(text))


# --- fault plans --------------------------------------------------------------------------------


@BOUNDED
@given(JSON_OBJECTS | st.fixed_dictionaries({}, optional={
    "latencyMs": JSON_VALUES, "errorRate": JSON_VALUES, "dropRate": JSON_VALUES,
    "paths": JSON_VALUES | st.lists(st.text(max_size=10), max_size=3)}))  # fmt: skip
def test_a_fault_plan_is_bounded_or_refused(body: dict[str, Any]) -> None:
    try:
        plan = FaultPlan.from_json(body)
    except ValueError:
        return
    assert 0 <= plan.latency_ms <= MAX_LATENCY_MS
    assert 0 <= plan.error_rate <= 1 and 0 <= plan.drop_rate <= 1
    assert all(isinstance(p, str) and p.startswith("/") for p in plan.paths)
    assert FaultPlan.from_json(plan.to_json()) == plan


# --- Graph JSON and the device channel (mock Intune) --------------------------------------------

GRAPH = "#microsoft.graph."
ODATA_TYPES = st.sampled_from([
    f"{GRAPH}iosTrustedRootCertificate", f"{GRAPH}iosEnterpriseWiFiConfiguration",
    f"{GRAPH}androidDeviceOwnerEnterpriseWiFiConfiguration",
    f"{GRAPH}windows10VpnConfiguration", f"{GRAPH}deviceManagementDerivedCredentialSettings",
    "nonsense",
])  # fmt: skip
GRAPH_BODIES = (
    st.builds(lambda extra, t: {**extra, "@odata.type": t}, JSON_OBJECTS, ODATA_TYPES)
    | JSON_OBJECTS
)


def _ids() -> Any:
    counter = iter(range(10**6))
    return lambda: f"id-{next(counter)}"


@BOUNDED
@given(GRAPH_BODIES, st.booleans())
def test_graph_bodies_are_read_or_refused_with_a_problem(
    body: dict[str, Any], strict: bool
) -> None:
    tenant = Tenant()
    readers = [
        lambda: settings_from_json(body, _ids(), strict=strict),
        lambda: create_profile(tenant, body, new_id=_ids(), now=NOW, strict=strict),
        lambda: parse_assign_body(body, "p", lambda _: True, _ids(), strict=strict),
    ]
    for read in readers:
        try:
            read()
        except Problem as e:
            assert refused_with_a_problem(e), e


@BOUNDED
@given(JSON_OBJECTS, st.booleans())
def test_device_channel_bodies_are_read_or_refused_with_a_problem(
    body: dict[str, Any], strict: bool
) -> None:
    for read in (parse_enroll, parse_checkin, parse_status):
        try:
            read(body, strict=strict)
        except Problem as e:
            assert refused_with_a_problem(e), e


@BOUNDED
@given(
    st.text(max_size=40)
    | st.datetimes(timezones=st.timezones()).map(lambda t: t.isoformat())
    | st.datetimes().map(lambda t: t.isoformat())
)
def test_checkin_times_are_read_or_refused_with_a_problem(when: str) -> None:
    credential = {
        "issuer": "intercede",
        "thumbprint": "ab" * 20,
        "notBefore": when,
        "notAfter": "9999-12-31T23:59:59Z",
        "settingsId": "s",
    }
    try:
        reported = parse_checkin({"credential": credential})
    except Problem as e:
        assert refused_with_a_problem(e)
        return
    assert reported is not None and reported.not_before.tzinfo is not None
