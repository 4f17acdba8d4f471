"""Observability: Prometheus metrics, request ids, and structured (JSON) logs with request/task ids.

Counters live in the process that counts them. With several API processes (gunicorn -w N) set
PROMETHEUS_MULTIPROC_DIR (read by prometheus_client; mirrored in Settings) to an empty directory so
/metrics adds up every process. Queue depth, jobs by status and stored webhook events are read from
the database and the broker at scrape time, so they are right whichever process answers.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_LOG_CONTEXT: ContextVar[dict[str, str]] = ContextVar("freight_log_context", default={})  # noqa: B039

HTTP_REQUESTS = Counter(
    "freight_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "freight_http_request_duration_seconds", "HTTP request latency", ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)  # fmt: skip
WEBHOOKS = Counter(
    "freight_webhook_events_total", "Webhook deliveries by result", ["event", "result"]
)  # result: accepted | duplicate | ignored | malformed | unauthorized
TASKS = Counter(
    "freight_worker_tasks_total", "Tasks run by this worker process, by outcome", ["outcome"]
)


# Logs ---------------------------------------------------------------------------------------


@contextmanager
def log_context(**values: object) -> Iterator[None]:
    """Add ids (request_id, task_id, job_id …) to every log record written inside the block."""
    token = _LOG_CONTEXT.set({**_LOG_CONTEXT.get(), **{k: str(v) for k, v in values.items()}})
    try:
        yield
    finally:
        _LOG_CONTEXT.reset(token)


def current_context() -> dict[str, str]:
    return dict(_LOG_CONTEXT.get())


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, event, the context ids, any `extra`."""

    _SKIP = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            **_LOG_CONTEXT.get(),
        }
        out.update({k: v for k, v in record.__dict__.items() if k not in self._SKIP})
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def configure_logging(level: str = "INFO") -> None:
    """Structured logs on stderr for the API, worker, beat and CLI."""
    handler = logging.StreamHandler()
    formatter = JsonFormatter()
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


# HTTP ---------------------------------------------------------------------------------------


class RequestMetrics:
    """ASGI middleware: a request id (X-Request-ID in and out, in every log line) and metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or _new_request_id()
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        token = _LOG_CONTEXT.set({**_LOG_CONTEXT.get(), "request_id": request_id})
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _LOG_CONTEXT.reset(token)
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope.get("method", "GET")
            _record(method, route, str(status), time.perf_counter() - started)


# Labelled children by (method, route, status): `labels()` per request costs a lock and a lookup.
_CHILDREN: dict[tuple[str, str, str], tuple[Any, Any]] = {}


def _record(method: str, route: str, status: str, seconds: float) -> None:
    key = (method, route, status)
    children = _CHILDREN.get(key)
    if children is None:
        children = HTTP_REQUESTS.labels(method, route, status), HTTP_LATENCY.labels(method, route)
        _CHILDREN[key] = children
    children[0].inc()
    children[1].observe(seconds)


_ID_STATE: list[Any] = [-1, "", None]  # pid, random prefix, counter (renewed after a fork)


def _new_request_id() -> str:
    """16 hex chars, unique per process run: a random prefix and a counter (uuid4 cost more)."""
    if _ID_STATE[0] != os.getpid():
        _ID_STATE[:] = [os.getpid(), secrets.token_hex(4), itertools.count()]
    return f"{_ID_STATE[1]}{next(_ID_STATE[2]) & 0xFFFFFFFF:08x}"


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1").strip()
            return text[:64] if text and text.isprintable() else None
    return None


# /metrics -----------------------------------------------------------------------------------


class StateCollector:
    """Gauges read at scrape time: jobs by task/status, outbox backlog, broker queue depth."""

    def __init__(self, app_state: Any) -> None:
        self.state = app_state

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from freight.jobs.service import job_counts
        from freight.webhooks.repository import status_counts as webhook_counts
        from worker.config import broker_depth

        jobs = GaugeMetricFamily(
            "freight_jobs", "Jobs in the outbox by task and status", labels=["task", "status"]
        )
        for task, status, count in job_counts(self.state.session_factory):
            jobs.add_metric([task, status], count)
        yield jobs
        hooks = GaugeMetricFamily(
            "freight_webhook_events_stored", "Stored webhook events by status", labels=["status"]
        )
        for status, count in webhook_counts(self.state.session_factory):
            hooks.add_metric([status], count)
        yield hooks
        depth = GaugeMetricFamily(
            "freight_queue_depth", "Messages waiting on the broker", labels=["queue"]
        )
        settings = self.state.settings
        value = broker_depth(settings)
        if value is not None:
            depth.add_metric([settings.task_queue], value)
        yield depth


def render_metrics(app_state: Any, multiproc_dir: str | None) -> tuple[bytes, str]:
    """The Prometheus exposition for this process (or all processes) plus the state gauges."""
    from prometheus_client import REGISTRY

    if multiproc_dir:
        from prometheus_client import multiprocess

        counters = CollectorRegistry()
        multiprocess.MultiProcessCollector(counters, path=multiproc_dir)  # type: ignore[no-untyped-call]
    else:
        counters = REGISTRY
    state = CollectorRegistry()
    state.register(StateCollector(app_state))
    return generate_latest(counters) + generate_latest(state), CONTENT_TYPE_LATEST
