"""Webhook delivery: Shippo-shaped `{event, test, data}` POSTs to the registered URLs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from carriers.sandbox.store import SandboxStore

log = logging.getLogger("carriers.sandbox")
Json = dict[str, Any]
Sender = Callable[[str, Json], None]


def post_json(url: str, payload: Json) -> None:
    """Deliver one webhook over HTTP, a few quick tries."""
    for attempt in range(3):
        try:
            response = requests.post(url, json=payload, timeout=5)
        except requests.RequestException as exc:
            log.warning(
                "sandbox.webhook.failed",
                extra={"url": url, "error": str(exc), "attempt": attempt + 1},
            )
            continue
        if response.status_code < 500:
            return
    log.error("sandbox.webhook.dropped", extra={"url": url, "event": payload.get("event")})


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
