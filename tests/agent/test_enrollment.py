from __future__ import annotations

import pytest

from agent.enrollment import TRANSITIONS, EnrollmentMachine, Event, State
from agent.errors import InvalidTransitionError

HAPPY = [
    (Event.CREDENTIAL_REQUESTED, State.REQUESTED),
    (Event.USER_STARTED, State.AWAITING_CODE),
    (Event.CODE_CAPTURED, State.CODE_CAPTURED),
    (Event.ACTIVATED, State.ACTIVATED),
    (Event.KEYS_GENERATED, State.KEYS_GENERATED),
    (Event.CERTIFICATES_ISSUED, State.CERTIFICATES_ISSUED),
    (Event.INSTALLED, State.INSTALLED),
    (Event.CHAIN_VALIDATED, State.VALIDATED),
    (Event.PROFILES_APPLIED, State.COMPLETE),
]


def test_happy_path_walks_every_named_state(clock) -> None:  # type: ignore[no-untyped-def]
    m = EnrollmentMachine(clock)
    for event, state in HAPPY:
        assert m.fire(event) is state
    assert [s.state for s in m.history] == [s.value for _, s in HAPPY]


def test_impossible_transition_raises_and_changes_nothing(clock) -> None:  # type: ignore[no-untyped-def]
    m = EnrollmentMachine(clock)
    with pytest.raises(InvalidTransitionError):
        m.fire(Event.INSTALLED)
    assert m.state is State.IDLE and m.history == []


def test_every_active_state_can_fail_and_failure_records_reason(clock) -> None:  # type: ignore[no-untyped-def]
    for event, state in HAPPY[:-1]:
        m = EnrollmentMachine(clock)
        for e, s in HAPPY:
            m.fire(e)
            if s is state:
                break
        m.fail("pin-incorrect", "PIN incorrect")
        assert m.state is State.FAILED
        assert m.failure == {
            "code": "pin-incorrect",
            "reason": "PIN incorrect",
            "state": state.value,
            "retryable": False,
        }
        assert not m.retryable
        del event


def test_a_retryable_failure_resumes_where_it_stopped(clock) -> None:  # type: ignore[no-untyped-def]
    m = EnrollmentMachine(clock)
    for e, s in HAPPY:
        m.fire(e)
        if s is State.KEYS_GENERATED:
            break
    m.fail("unavailable", "503 from the issuer", retryable=True)
    assert m.retryable
    assert m.fire(Event.RETRY) is State.KEYS_GENERATED
    assert m.failure is None
    assert [h.event for h in m.history[-2:]] == ["failed", "retry"]
    # A final failure starts over from the request.
    m.fail("csr-invalid", "refused")
    assert not m.retryable
    assert m.fire(Event.RETRY) is State.REQUESTED


def test_retry_and_renewal(clock) -> None:  # type: ignore[no-untyped-def]
    m = EnrollmentMachine(clock)
    m.fire(Event.CREDENTIAL_REQUESTED)
    m.fail("x", "y")
    m.fire(Event.RETRY)
    assert m.state is State.REQUESTED and m.failure is None
    for e, _ in HAPPY[1:]:
        m.fire(e)
    assert m.fire(Event.RENEWAL_DUE) is State.REQUESTED


def test_round_trip_json(clock) -> None:  # type: ignore[no-untyped-def]
    m = EnrollmentMachine(clock)
    m.fire(Event.CREDENTIAL_REQUESTED, "because", token="abc")
    again = EnrollmentMachine.from_json(m.to_json(), clock)
    assert again.state is State.REQUESTED and again.data == {"token": "abc"}
    assert again.history == m.history


def test_terminal_states_have_no_success_exit() -> None:
    assert not any(src is State.FAILED and ev is not Event.RETRY for src, ev in TRANSITIONS)
