"""Carrier configuration, mapped from Settings by the caller."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CarrierConfig:
    api_key: str | None = None
    base_url: str | None = None
    timeout_seconds: float = 10.0
    max_attempts: int = 5
    max_retry_seconds: float = 60.0
    sandbox_db_path: str | None = None
    sandbox_webhook_url: str | None = None
    # Sign the sandbox's webhooks as Shippo's HMAC does (t=…,v1=…) when the service requires it.
    sandbox_webhook_hmac_secret: str | None = None
    sandbox_webhook_signature_header: str = "Shippo-Auth-Signature"
    sandbox_latency_ms: int = 0
    sandbox_faults: str | None = None
    # Backoff shape; tests shrink these so retries cost milliseconds.
    backoff_initial_seconds: float = 0.5
    backoff_max_seconds: float = 8.0
    shippo_api_version: str | None = "2018-02-08"
    # POST /transactions waits on the carrier with no documented bound: purchases and refunds get
    # a longer read timeout than other calls.
    purchase_timeout_seconds: float = 75.0
    # How long one purchase call polls a QUEUED label (GET /transactions/{id}) before handing
    # back LabelPending; the job then polls with back-off for minutes, or the webhook finishes it.
    queued_poll_seconds: float = 10.0
    # Shippo's per-minute limits (live or test key); the gate waits at most this long for a slot.
    rate_limit_mode: str | None = None  # "live" | "test"; None: from the key's prefix
    rate_limit_max_wait_seconds: float = 90.0
    # Per endpoint class ("transactions:write" → 500) where the account's limits differ from
    # Shippo's published table (raised limits, or a budget the operator sets for labels).
    rate_limit_overrides: dict[str, int] = field(default_factory=dict)
    # Keep-alive connections to the carrier per host: at least one per worker thread, so calls
    # in flight never queue for a socket or open and drop one each time.
    http_pool_size: int = 16
    # Production: test-mode answers (labels bought with a test key) are refused.
    live_only: bool = False
    # Sandbox only: enforce Shippo's per-minute limits (429 + X-RateLimit-Reset).
    sandbox_rate_limits: bool = False
