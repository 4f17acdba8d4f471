"""The requests.Session handed to the SDK: a timeout on every call (the SDK sets none), the
shared rate-limit gate before every API call, and 429s absorbed by waiting for the window."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from carriers import limits
from carriers.limits import CallGate

log = logging.getLogger("carriers.shippo")
MAX_THROTTLED_RESENDS = 3  # 429s absorbed per call before the retry policy sees one


class RateLimited(requests.exceptions.RequestException):
    """No slot within the wait bound: the request was never sent."""


class TimeoutSession(requests.Session):
    """A Session whose every request carries a timeout, remembering each thread's last answer."""

    def __init__(
        self,
        timeout_seconds: float,
        *,
        gate: CallGate | None = None,
        api_key: str = "",
        api_base: str | None = None,
        mode: limits.Mode | None = None,
        max_wait_seconds: float = 90.0,
        clock: Callable[[], float] = time.time,
        overrides: dict[str, int] | None = None,
        pool_size: int = 16,
    ) -> None:
        super().__init__()
        # requests keeps 10 connections per host by default; a worker's threads share this one.
        for prefix in ("http://", "https://"):
            self.mount(prefix, HTTPAdapter(pool_connections=4, pool_maxsize=pool_size))
        self.timeout_seconds = timeout_seconds
        self.gate = gate
        self._api_key = api_key
        self._api_base = api_base.rstrip("/") if api_base else None
        self._mode = mode or limits.mode_of(api_key)
        self._max_wait = max_wait_seconds
        self._clock = clock
        self._overrides = dict(overrides or {})
        self._last = threading.local()
        self._local = threading.local()

    @contextmanager
    def timeout(self, seconds: float) -> Iterator[None]:
        """Calls made inside use this read timeout (label purchases wait on the carrier)."""
        previous = getattr(self._local, "timeout", None)
        self._local.timeout = seconds
        try:
            yield
        finally:
            self._local.timeout = previous

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send with our timeout when the caller (the SDK) gave none; wait for a rate slot."""
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = getattr(self._local, "timeout", None) or self.timeout_seconds
        self._last.response = None
        budget = self._budget(request)
        for _ in range(MAX_THROTTLED_RESENDS):
            if budget is not None:
                self._take(*budget)
            response = super().send(request, **kwargs)
            if response.status_code != 429 or budget is None:
                break
            # Throttled: nothing was done, so the same request is safe to send again once the
            # window the server named has passed; every process waits for it through the gate.
            self._close(budget[0], response)
        self._last.response = response
        return response

    def _budget(self, request: requests.PreparedRequest) -> tuple[str, int] | None:
        url = str(request.url or "")
        if self.gate is None or not self._api_base or not url.startswith(self._api_base):
            return None
        resource, verb = limits.endpoint_class(str(request.method), url[len(self._api_base) :])
        if resource == "sandbox":  # the sandbox's own control and file paths
            return None
        limit = self._overrides.get(f"{resource}:{verb}") or limits.limit_for(
            resource, verb, self._mode
        )
        return limits.key_for(self._api_key, resource, verb), limit

    def _take(self, key: str, limit: int) -> None:
        assert self.gate is not None  # noqa: S101 - _budget gives a key only with a gate
        try:
            self.gate.acquire(
                key, limit=limit, period=limits.PERIOD_SECONDS, max_wait=self._max_wait
            )
        except TimeoutError as exc:
            raise RateLimited(f"rate limit: {exc}") from exc

    def _close(self, key: str, response: requests.Response) -> None:
        assert self.gate is not None  # noqa: S101 - _budget gives a key only with a gate
        until = reset_at(response.headers, self._clock())
        log.warning(
            "carrier.throttled",
            extra={
                "event": "carrier.throttled",
                "key": key,
                "wait": round(until - self._clock(), 3),
            },
        )
        self.gate.close_until(key, until)

    def last_json(self) -> dict[str, Any] | None:
        """This thread's last 2xx JSON object answer, for when the SDK cannot decode it."""
        response = getattr(self._last, "response", None)
        if response is None or not 200 <= response.status_code < 300:
            return None
        try:
            decoded = json.loads(response.content)
        except ValueError:
            return None
        return decoded if isinstance(decoded, dict) else None


def reset_at(headers: Any, now: float) -> float:
    """When a throttled key opens again: X-RateLimit-Reset (epoch seconds or milliseconds, or
    seconds from now when small), else Retry-After seconds, else the next whole minute."""
    for name in ("X-RateLimit-Reset", "Retry-After"):
        raw = headers.get(name) if headers is not None else None
        try:
            value = float(str(raw).strip()) if raw is not None else None
        except ValueError:
            value = None
        if value is not None and value >= 0:
            if value > 100_000_000_000:  # epoch milliseconds
                return value / 1000
            return value if value > 1_000_000_000 else now + value
    return now + limits.PERIOD_SECONDS - now % limits.PERIOD_SECONDS
