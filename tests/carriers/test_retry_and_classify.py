"""The retry policy and the translation of carrier errors into typed errors."""

from __future__ import annotations

import pytest
from tenacity import RetryCallState, Retrying

from carriers.errors import (
    AddressInvalid,
    CarrierRejected,
    CarrierUnavailable,
    InvalidParcel,
    LabelNotRefundable,
    RateNotFound,
)
from carriers.shippo.classify import body_text, http_error, retry_after_seconds
from carriers.shippo.retry import RetryPolicy, TransientError


def _state_after(error: Exception, attempt: int = 1) -> RetryCallState:
    state = RetryCallState(Retrying(), fn=None, args=(), kwargs={})
    state.attempt_number = attempt
    state.set_exception((type(error), error, None))
    return state


def test_wait_honours_retry_after() -> None:
    policy = RetryPolicy(initial_seconds=0.001, max_backoff_seconds=0.01, max_seconds=60)
    assert policy.wait(_state_after(TransientError("429", retry_after=2.0))) >= 2.0


def test_wait_caps_retry_after_at_the_total_budget() -> None:
    policy = RetryPolicy(max_seconds=5)
    assert policy.wait(_state_after(TransientError("429", retry_after=3600))) <= 5


def test_backoff_is_bounded_and_jittered() -> None:
    policy = RetryPolicy(initial_seconds=0.5, max_backoff_seconds=8)
    waits = {policy.wait(_state_after(TransientError("500"), attempt=4)) for _ in range(20)}
    assert all(0 <= w <= 8 for w in waits)
    assert len(waits) > 1


def test_attempts_are_bounded() -> None:
    calls = 0
    policy = RetryPolicy(max_attempts=3, initial_seconds=0.0001, max_backoff_seconds=0.001)

    def flaky() -> None:
        nonlocal calls
        calls += 1
        raise TransientError("503", status_code=503)

    def run() -> None:
        for attempt in policy.retrying("test"):
            with attempt:
                flaky()

    with pytest.raises(TransientError):
        run()
    assert calls == 3


@pytest.mark.parametrize(
    ("op", "status", "body", "error"),
    [
        ("buy", 400, '{"rate": ["Rate with object_id \'x\' does not exist."]}', RateNotFound),
        ("buy", 400, '{"rate": ["Rate \'x\' has expired"]}', RateNotFound),
        ("buy", 404, '{"detail": "Not found."}', RateNotFound),
        ("buy", 400, '{"customs_declaration": ["required"]}', CarrierRejected),
        ("rate", 400, '{"address_to": {"zip": ["This field is required."]}}', AddressInvalid),
        ("rate", 400, '{"parcels": {"0": {"weight": ["must be > 0"]}}}', InvalidParcel),
        ("address", 400, '{"country": ["\'XX\' is not valid"]}', AddressInvalid),
        ("void", 400, '{"transaction": ["already used"]}', LabelNotRefundable),
        ("track", 401, '{"detail": "Invalid token."}', CarrierRejected),
        ("rate", 503, "upstream down", CarrierUnavailable),
    ],
)
def test_http_errors_are_typed(op: str, status: int, body: str, error: type[Exception]) -> None:
    found = http_error(op, status, body)  # type: ignore[arg-type]
    assert type(found) is error
    assert found.carrier_message  # the carrier's words are kept


def test_body_text_keeps_field_paths() -> None:
    assert body_text('{"address_to": {"zip": ["required"]}}') == "address_to.zip: required"
    assert body_text("<html>oops</html>") == "<html>oops</html>"


@pytest.mark.parametrize(("header", "seconds"), [("3", 3.0), ("0", 0.0), (None, None), ("x", None)])
def test_retry_after_header(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header) == seconds
