"""Run the sandbox carrier as its own HTTP server (`freight sandbox-carrier --port N`)."""

from __future__ import annotations

import logging
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from carriers.config import CarrierConfig
from carriers.sandbox.app import SandboxApp
from carriers.sandbox.hooks import signed_post
from carriers.sandbox.store import SandboxStore

log = logging.getLogger("carriers.sandbox")


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """One thread per connection, so a hanging (fault-injected) request blocks no other."""

    daemon_threads = True
    allow_reuse_address = True


class QuietHandler(WSGIRequestHandler):
    """Log requests through `logging` rather than stderr."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Route wsgiref's access log to logging at debug level."""
        log.debug("sandbox.http " + format, *args)


def build_app(config: CarrierConfig) -> SandboxApp:
    """The sandbox app for a config (SQLite file when sandbox_db_path is set)."""
    return SandboxApp(
        SandboxStore(config.sandbox_db_path),
        webhook_url=config.sandbox_webhook_url,
        webhook_sender=signed_post(
            config.sandbox_webhook_hmac_secret, config.sandbox_webhook_signature_header
        )
        if config.sandbox_webhook_hmac_secret
        else None,
        faults_spec=config.sandbox_faults,
        latency_ms=config.sandbox_latency_ms,
        rate_limits=config.sandbox_rate_limits,
    )


def make(host: str, port: int, config: CarrierConfig) -> ThreadingWSGIServer:
    """A bound, not yet serving, server (port 0 picks a free port)."""
    server = make_server(host, port, build_app(config), ThreadingWSGIServer, QuietHandler)
    assert isinstance(server, ThreadingWSGIServer)  # noqa: S101 - the class passed in (narrows it)
    return server


def serve(host: str, port: int, config: CarrierConfig) -> None:
    """Serve the sandbox carrier until interrupted."""
    server = make(host, port, config)
    log.info("sandbox.serving", extra={"host": host, "port": server.server_port})
    try:
        server.serve_forever()
    finally:
        server.server_close()
