"""Observability: Prometheus metrics, request ids and the access log (logs: freight/logs.py).

Counters live in the process that counts them unless FREIGHT_PROMETHEUS_MULTIPROC_DIR (or
PROMETHEUS_MULTIPROC_DIR) names a directory the host's processes share: then /metrics adds up
every process (gunicorn's config makes one when unset). Queue depth, jobs by status and stored
webhook events are read from the database and the broker, cached for a few seconds, so they are
right whichever process answers and scrapes cost the database nothing.
"""

from __future__ import annotations

import hmac
import itertools
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from freight.logs import _LOG_CONTEXT, ACCESS_LOGGER
from freight.logs import configure_logging as configure_logging  # re-exported (older imports)
from freight.logs import log_context as log_context
from freight.proxies import client_address

access_log = logging.getLogger(ACCESS_LOGGER)

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


# HTTP ---------------------------------------------------------------------------------------


class RequestMetrics:
    """ASGI middleware: a request id (X-Request-ID in and out, in every log line), the access log
    line and (unless metrics are off) the request counters."""

    def __init__(
        self, app: ASGIApp, *, metrics: bool = True, trusted_proxies: Sequence[str] = ()
    ) -> None:
        self.app, self.metrics, self.trusted = app, metrics, tuple(trusted_proxies)

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
            seconds = time.perf_counter() - started
            if access_log.isEnabledFor(logging.INFO):
                self._access(scope, status, seconds)
            _LOG_CONTEXT.reset(token)
            if self.metrics:
                route = getattr(scope.get("route"), "path", None) or "unmatched"
                _record(scope.get("method", "GET"), route, str(status), seconds)

    def _access(self, scope: Scope, status: int, seconds: float) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        peer = (scope.get("client") or (None,))[0]
        forwarded = b", ".join(v for n, v in scope.get("headers", ()) if n == b"x-forwarded-for")
        path = f"{scope.get('path', '')}?{query}" if query else scope.get("path")
        extra = {
            "method": scope.get("method"), "path": path,
            "status": status, "duration_ms": round(seconds * 1000, 2),
            "client": client_address(peer, forwarded.decode("latin-1"), self.trusted),
        }  # fmt: skip
        access_log.info("http.request", extra=extra)


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

_MULTIPROC: list[str | None] = [None]


def enable_multiprocess(directory: str) -> None:
    """Count in files under `directory`, shared by this host's processes (call before counting).

    prometheus_client keeps one file per process there; /metrics (here, or a worker's port) adds
    them up, so every process answers with the same totals. The directory must be emptied when
    the deployment starts (freight.gunicorn_conf and `freight serve` do).
    """
    from prometheus_client import values

    os.makedirs(directory, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory  # prometheus_client's own switch
    values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]
    _MULTIPROC[0] = directory


def counters_registry() -> Any:
    """This process's counters, or every process's when counting in a shared directory."""
    from prometheus_client import REGISTRY

    if _MULTIPROC[0] is None:
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=_MULTIPROC[0])  # type: ignore[no-untyped-call]
    return registry


class StateGauges:
    """Gauges read from the database and the broker: jobs by task/status, stored webhook events,
    queue depth. Read at most once per `ttl` seconds, so scrapes (from several Prometheus
    servers, every few seconds) never add database or Redis load of their own."""

    def __init__(self, app_state: Any, ttl: float) -> None:
        self.state, self.ttl = app_state, ttl
        self._at, self._families = -1e9, b""
        self._lock = threading.Lock()

    def exposition(self) -> bytes:
        with self._lock:
            if time.monotonic() - self._at >= self.ttl:
                registry = CollectorRegistry()
                registry.register(self)
                self._families, self._at = generate_latest(registry), time.monotonic()
            return self._families

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


def metrics_route(app: Any, settings: Any) -> None:
    """GET /metrics: every process's counters plus the cached state gauges; a bearer token when
    FREIGHT_METRICS_TOKEN is set (SPEC §10)."""
    gauges = StateGauges(app.state, settings.metrics_cache_seconds)
    expected = f"Bearer {settings.metrics_token}".encode() if settings.metrics_token else None

    @app.get("/metrics", tags=["ops"], include_in_schema=False)  # type: ignore[untyped-decorator]
    def metrics(request: Request) -> Response:
        given = request.headers.get("authorization", "").encode()
        if expected is not None and not hmac.compare_digest(given, expected):
            detail = "/metrics needs Authorization: Bearer <FREIGHT_METRICS_TOKEN>."
            problem = {
                "type": "about:blank",
                "title": "Unauthorized",
                "status": 401,
                "detail": detail,
            }
            return JSONResponse(problem, 401, {"WWW-Authenticate": "Bearer"},
                                media_type="application/problem+json")  # fmt: skip
        body = generate_latest(counters_registry()) + gauges.exposition()
        return Response(body, media_type=CONTENT_TYPE_LATEST)


def serve_worker_metrics(port: int) -> None:
    """A worker's own /metrics (task counters of all its pool processes) on `port`."""
    from prometheus_client import start_http_server

    start_http_server(port, registry=counters_registry())
