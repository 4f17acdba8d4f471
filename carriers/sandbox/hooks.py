"""Webhook delivery: Shippo-shaped `{event, test, data}` POSTs to the registered URLs."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from carriers.sandbox.store import SandboxStore

log = logging.getLogger("carriers.sandbox")
Json = dict[str, Any]
Sender = Callable[[str, Json], None]


def post_json(url: str, payload: Json, headers: dict[str, str] | None = None) -> None:
    """Deliver one webhook over HTTP, a few quick tries."""
    body = json.dumps(payload).encode()
    for attempt in range(3):
        sent = {"content-type": "application/json", **(headers or {})}
        try:
            response = requests.post(url, data=body, headers=sent, timeout=5)
        except requests.RequestException as exc:
            log.warning(
                "sandbox.webhook.failed",
                extra={"url": url, "error": str(exc), "attempt": attempt + 1},
            )
            continue
        if response.status_code < 500:
            return
    log.error("sandbox.webhook.dropped", extra={"url": url, "event": payload.get("event")})


def signed_post(secret: str, header: str) -> Sender:
    """A sender that signs each delivery as Shippo's HMAC option does: `t=<unix>,v1=<hex>`,
    HMAC-SHA256 of `f"{t}.{body}"` (retries keep the first signature: within the 5 minutes)."""

    def send(url: str, payload: Json) -> None:
        body = json.dumps(payload).encode()
        stamp = str(int(time.time()))
        mac = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        post_json(url, payload, {header: f"t={stamp},v1={mac}"})

    return send


class WebhookDispatcher:
    """Sends events to the configured URL and every active /webhooks registration."""

    def __init__(
        self,
        store: SandboxStore,
        *,
        default_url: str | None = None,
        sender: Sender | None = None,
        background: bool = True,
    ) -> None:
        self._store = store
        self._default_url = default_url
        self._sender = sender or post_json
        self._pool = (
            ThreadPoolExecutor(max_workers=2, thread_name_prefix="sandbox-webhook")
            if background
            else None
        )

    def targets(self, event: str) -> list[str]:
        """URLs that want this event."""
        urls = [self._default_url] if self._default_url else []
        for hook in self._store.find("webhook"):
            if hook.get("active", True) and hook.get("event") in (event, "all"):
                urls.append(str(hook["url"]))
        return list(dict.fromkeys(urls))

    def emit(self, event: str, data: Json) -> None:
        """Queue `event` with `data` (a Track or Transaction object) for every target."""
        payload: Json = {"event": event, "test": data.get("test", True) is not False, "data": data}
        for url in self.targets(event):
            log.info("sandbox.webhook.sent", extra={"url": url, "webhook_event": event})
            if self._pool is None:
                self._sender(url, payload)
            else:
                self._pool.submit(self._sender, url, payload)
