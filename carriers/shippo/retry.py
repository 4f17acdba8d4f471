"""The tenacity retry policy for carrier calls: bounded, jittered, honouring Retry-After."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)

log = logging.getLogger("carriers.shippo")


class TransientError(Exception):
    """A failure worth retrying: 429, 5xx, timeout or connection error."""

    def __init__(
        self,
        reason: str,
        *,
        status_code: int | None = None,
        retry_after: float | None = None,
        carrier_message: str | None = None,
        ambiguous: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code
        self.retry_after = retry_after
        self.carrier_message = carrier_message
        # True when the request may have been processed (timeout or 5xx after sending).
        self.ambiguous = ambiguous


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    max_seconds: float = 60.0
    initial_seconds: float = 0.5
    max_backoff_seconds: float = 8.0

    def wait(self, state: RetryCallState) -> float:
        """Jittered exponential backoff, but never sooner than the server's Retry-After."""
        backoff = wait_random_exponential(
            multiplier=self.initial_seconds, max=self.max_backoff_seconds
        )(state)
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, TransientError) and error.retry_after is not None:
            return max(backoff, min(error.retry_after, self.max_seconds))
        return backoff

    def retrying(self, operation: str) -> Retrying:
        """A tenacity Retrying for one carrier operation."""
        return Retrying(
            retry=retry_if_exception_type(TransientError),
            stop=stop_after_attempt(self.max_attempts) | stop_before_delay(self.max_seconds),
            wait=self.wait,
            before_sleep=lambda state: _log_retry(operation, state),
            reraise=True,
        )


def _log_retry(operation: str, state: RetryCallState) -> None:
    outcome = state.outcome
    error = outcome.exception() if outcome is not None else None
    sleep = state.next_action.sleep if state.next_action else 0.0
    log.warning(
        "carrier.retry",
        extra={
            "event": "carrier.retry",
            "operation": operation,
            "attempt": state.attempt_number,
            "sleep_seconds": round(sleep, 3),
            "reason": getattr(error, "reason", repr(error)),
            "status_code": getattr(error, "status_code", None),
        },
    )
