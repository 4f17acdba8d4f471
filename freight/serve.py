"""`freight serve`: migrate, then run the API (and, on the embedded default, worker + beat).

The worker and beat are real Celery processes (`freight worker`, `freight beat`) started beside
uvicorn, restarted if they die, and stopped with it (SIGTERM, then SIGKILL after a grace period).
"""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlencode

import uvicorn

from freight.migrate import upgrade
from freight.settings import get_settings

log = logging.getLogger("freight.serve")
GRACE_SECONDS = 10.0


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Background:
    """The embedded worker and beat as supervised child processes."""

    def __init__(self, commands: dict[str, list[str]]) -> None:
        self.commands = commands
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="freight-background", daemon=True)

    def start(self) -> None:
        for name in self.commands:
            self._spawn(name)
        self._watcher.start()

    def _spawn(self, name: str) -> None:
        self.procs[name] = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            self.commands[name], start_new_session=True, preexec_fn=_die_with_parent
        )
        log.info("serve.background.started name=%s pid=%s", name, self.procs[name].pid)

    def _watch(self) -> None:
        while not self._stopping.wait(2.0):
            for name, proc in list(self.procs.items()):
                if proc.poll() is not None and not self._stopping.is_set():
                    log.error(
                        "serve.background.died name=%s code=%s; restarting", name, proc.returncode
                    )
                    self._spawn(name)

    def stop(self) -> None:
        self._stopping.set()
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        for name, proc in self.procs.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("serve.background.killed name=%s pid=%s", name, proc.pid)
                proc.kill()
                proc.wait(timeout=5)
        log.info("serve.background.stopped")


def background_commands() -> dict[str, list[str]]:
    """`freight worker` and `freight beat` on this interpreter (same environment, same settings)."""
    base = [sys.executable, "-m", "freight.cli"]
    return {"worker": [*base, "worker", "--concurrency", "2"], "beat": [*base, "beat"]}


def _shared_metrics_dir() -> str | None:
    """One Prometheus directory for the API processes, worker and beat started here, so the
    API's /metrics also counts the worker's tasks; made fresh (and removed) when none is set."""
    if get_settings().prometheus_multiproc_dir:
        return None
    directory = tempfile.mkdtemp(prefix="freight-metrics-")
    os.environ["FREIGHT_PROMETHEUS_MULTIPROC_DIR"] = directory  # for the children, and the API
    get_settings.cache_clear()
    return directory


def _public_base_url_here(host: str, port: int) -> None:
    """Links in email and the demo's login point at this server unless FREIGHT_PUBLIC_BASE_URL
    says otherwise (behind a proxy it must: the proxy's https address)."""
    if "public_base_url" in get_settings().model_fields_set:
        return
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - display only
    if ":" in shown:
        shown = f"[{shown}]"
    os.environ["FREIGHT_PUBLIC_BASE_URL"] = f"http://{shown}:{port}"
    get_settings.cache_clear()  # for this process, and inherited by the worker and beat


def _sandbox_stripe_events_here(host: str, port: int) -> None:
    """Without a Stripe key the sandbox's signed events come to this server's /webhooks/stripe
    (as Stripe's would), unless FREIGHT_SANDBOX_STRIPE_WEBHOOK_URL says otherwise."""
    settings = get_settings()
    if settings.stripe_api_key or settings.sandbox_stripe_webhook_url:
        return
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - local address
    os.environ["FREIGHT_SANDBOX_STRIPE_WEBHOOK_URL"] = f"http://{shown}:{port}/webhooks/stripe"
    get_settings.cache_clear()


def _sandbox_webhooks_to_self(host: str, port: int) -> None:
    """With the in-process sandbox carrier, its tracking and label events go to this server's
    own webhook endpoint (as Shippo's would), unless FREIGHT_SANDBOX_WEBHOOK_URL says otherwise:
    `POST /sandbox/tracks/{number}/advance` then reaches the shipment."""
    from freight.sandbox_control import uses_in_process_sandbox

    settings = get_settings()
    if not uses_in_process_sandbox(settings) or settings.sandbox_webhook_url:
        return
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - not a bind
    query = urlencode({"token": settings.webhook_token})
    os.environ["FREIGHT_SANDBOX_WEBHOOK_URL"] = f"http://{shown}:{port}/webhooks/shippo?{query}"
    get_settings.cache_clear()  # for this process, and inherited by the worker and beat


def serve(*, host: str, port: int, demo: bool, workers: int) -> int:
    """Run the service until interrupted."""
    made = _shared_metrics_dir()
    _public_base_url_here(host, port)
    _sandbox_stripe_events_here(host, port)
    _sandbox_webhooks_to_self(host, port)
    settings = get_settings()
    upgrade(settings)
    if demo:
        from freight.demo import load_demo

        load_demo(settings, login_url=f"{settings.public_base_url.rstrip('/')}/login")
    background = None
    if settings.serve_background if settings.serve_background is not None else settings.embedded:
        background = Background(background_commands())
        background.start()
    log.info("serve.start host=%s port=%s db=%s", host, port, settings.db_url.split("@")[-1])
    trusted = ",".join(settings.trusted_proxies)
    try:
        uvicorn.run(
            "freight.asgi:app", host=host, port=port, workers=workers, log_level="info",
            log_config=None, access_log=False,  # the app logs JSON lines itself (freight.logs)
            # X-Forwarded-For only from FREIGHT_TRUSTED_PROXIES (uvicorn's default trusts 127.0.0.1)
            proxy_headers=bool(trusted), forwarded_allow_ips=trusted or None,
        )  # fmt: skip
    finally:
        if background is not None:
            background.stop()
        if made:
            shutil.rmtree(made, ignore_errors=True)
    return 0
