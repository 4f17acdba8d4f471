"""Carrier configuration, mapped from Settings by the caller."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CarrierConfig:
    api_key: str | None = None
    base_url: str | None = None
    timeout_seconds: float = 10.0
    max_attempts: int = 5
    max_retry_seconds: float = 60.0
    sandbox_db_path: str | None = None
    sandbox_webhook_url: str | None = None
    sandbox_latency_ms: int = 0
    sandbox_faults: str | None = None
    # Backoff shape; tests shrink these so retries cost milliseconds.
    backoff_initial_seconds: float = 0.5
    backoff_max_seconds: float = 8.0
    # How far back (pages x page size of SUCCESS labels, newest first) a purchase looks for an
    # earlier label with the same metadata before buying.
    label_lookup_pages: int = 3
    label_lookup_page_size: int = 100
    shippo_api_version: str | None = "2018-02-08"
