"""The sandbox carrier as a WSGI app speaking Shippo's API, with fault injection."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from carriers.sandbox import behaviour, closeout, faults, labels, refunds, resources, tracks
from carriers.sandbox.context import Context, utcnow
from carriers.sandbox.hooks import Sender, WebhookDispatcher
from carriers.sandbox.http import HttpError, Request, Response, Router, parse_request, send
from carriers.sandbox.store import SandboxStore

log = logging.getLogger("carriers.sandbox")
TIMEOUT_HEADER = "X-Sandbox-Timeout"  # tells the in-process transport to raise a timeout


class SandboxApp:
    """Shippo's paths, payloads and status codes over a shared SQLite store."""

    def __init__(
        self,
        store: SandboxStore,
        *,
        now: Callable[[], datetime] = utcnow,
        webhook_url: str | None = None,
        faults_spec: str | None = None,
        latency_ms: int = 0,
        seed: int | None = None,
        webhook_sender: Sender | None = None,
        background_webhooks: bool = True,
        rate_limits: bool = False,
    ) -> None:
        hooks = WebhookDispatcher(
            store, default_url=webhook_url, sender=webhook_sender, background=background_webhooks
        )
        self.ctx = Context(store=store, hooks=hooks, now=now)
        self.store = store
        self._default_faults = faults.parse(faults_spec)
        self._default_latency = latency_ms
        self._rng = random.Random(seed)  # noqa: S311 - seeded faults for repeatable tests, not secrets
        self._seed: str | None = None
        self._rate_limits = rate_limits
        self.router = Router()
        for module in (resources, labels, refunds, tracks, behaviour, closeout):
            module.register(self.router)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """WSGI entry point."""
        try:
            request = parse_request(environ)
        except HttpError as exc:
            return send(Response(exc.status, exc.body), start_response)
        return send(self.handle(request), start_response)

    def handle(self, request: Request) -> Response:
        """Answer one request: control paths directly, API paths through auth and faults."""
        if request.path.startswith("/sandbox/"):
            return self._route(request)
        if not request.headers.get("authorization"):
            return Response(401, {"detail": "Authentication credentials were not provided."})
        endpoint = request.path.strip("/").split("/")[0]
        if behaviour.current(self.ctx, default_rate_limits=self._rate_limits).rate_limits:
            throttled = behaviour.throttle(self.ctx, request)
            if throttled is not None:
                return throttled
        if self._delay(request, self._latency_ms()):
            return self._timeout(request, 0.0)
        fault = faults.pick(self._faults(), endpoint, request.method, self._rng)
        if fault is None:
            return self._route(request)
        log.info("sandbox.fault", extra={"endpoint": endpoint, "fault": fault.kind})
        if fault.kind == "latency":
            if self._delay(request, int(fault.param)):
                return self._timeout(request, 0.0)
            return self._route(request)
        if fault.kind == "429":
            return Response(
                429,
                {"detail": "Request was throttled."},
                headers={"Retry-After": _seconds(fault.param)},
            )
        if fault.kind == "lost_response":
            self._route(request)  # done, but the caller never hears of it
            return self._timeout(request, fault.param)
        if fault.kind == "timeout":
            return self._timeout(request, fault.param)
        return Response(int(fault.kind), {"detail": "Sandbox injected server error."})

    def _route(self, request: Request) -> Response:
        try:
            handler, params = self.router.resolve(request.method, request.path)
            return handler(self.ctx, request, **params)
        except HttpError as exc:
            return Response(exc.status, exc.body)

    def _faults(self) -> tuple[faults.Fault, ...]:
        spec = self.store.setting("faults")
        seed = self.store.setting("seed")
        if seed is not None and seed != self._seed:
            self._seed = seed
            self._rng.seed(int(seed))
        return self._default_faults if spec is None else faults.parse(spec)

    def _latency_ms(self) -> int:
        value = self.store.setting("latency_ms")
        return self._default_latency if value is None else int(value)

    def _delay(self, request: Request, milliseconds: int) -> bool:
        """Sleep; True when (in process) the caller's timeout ran out first."""
        if milliseconds <= 0:
            return False
        seconds = milliseconds / 1000
        if request.in_process and request.timeout is not None and seconds >= request.timeout:
            time.sleep(request.timeout)
            return True
        time.sleep(seconds)
        return False

    def _timeout(self, request: Request, hang_seconds: float) -> Response:
        if request.in_process:
            return Response(504, {"detail": "timeout"}, headers={TIMEOUT_HEADER: "1"})
        time.sleep(hang_seconds)  # over HTTP: hang past the client's timeout, then give up
        return Response(504, {"detail": "Sandbox injected timeout."})


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
