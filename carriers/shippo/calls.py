"""Calling the SDK: typed errors, the retry policy, and reading answers the SDK cannot decode."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from shippo.models import errors

from carriers.errors import CarrierError, UnexpectedResponse
from carriers.shippo.classify import Operation
from carriers.shippo.results import as_json, from_sdk_error, unavailable
from carriers.shippo.retry import RetryPolicy, TransientError
from carriers.shippo.session import RateLimited, TimeoutSession

log = logging.getLogger("carriers.shippo")
T = TypeVar("T")
Json = dict[str, Any]


class SdkCaller:
    """Runs SDK calls with the retry policy; every failure leaves as a typed carrier error."""

    session: requests.Session
    _policy: RetryPolicy

    def _call(self, op: Operation, fn: Callable[[], Any]) -> Json:
        return self._retry(op, lambda: self._decoded(fn))

    def _decoded(self, fn: Callable[[], Any]) -> Json:
        """The SDK's answer as JSON; when its models cannot read a 2xx body, the body itself."""
        try:
            return as_json(fn())
        except (ValueError, KeyError, TypeError, AttributeError):
            raw = self.session.last_json() if isinstance(self.session, TimeoutSession) else None
            if raw is None:
                raise
            log.warning(
                "carrier.sdk.decode_fallback", extra={"event": "carrier.sdk.decode_fallback"}
            )
            return raw

    def _retry(self, op: Operation, fn: Callable[[], T]) -> T:
        try:
            for attempt in self._policy.retrying(op):
                with attempt:
                    return self._guard(op, fn)
        except TransientError as exc:
            raise unavailable(op, exc) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _guard(self, op: Operation, fn: Callable[[], T]) -> T:
        """Run one SDK call; SDK, HTTP and shape failures become typed errors."""
        try:
            return fn()
        except errors.SDKError as exc:
            raise from_sdk_error(op, exc) from exc
        except RateLimited as exc:  # never sent: not ambiguous
            raise TransientError("rate limit", status_code=429) from exc
        except (requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            raise TransientError(f"{type(exc).__name__}", ambiguous=True) from exc
        except requests.ConnectionError as exc:
            raise TransientError("connection error", ambiguous=True) from exc
        except CarrierError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise UnexpectedResponse(
                f"{op}: unreadable carrier answer", carrier_message=str(exc)[:300]
            ) from exc
