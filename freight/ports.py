"""The outside world's adapters, built once per Settings: carrier (Shippo or sandbox), payments."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from carriers.config import CarrierConfig
from freight.settings import Settings

if TYPE_CHECKING:
    from carriers.port import CarrierPort


def carrier_config(settings: Settings) -> CarrierConfig:
    """Settings → the carrier layer's own config (carriers/ never reads Settings)."""
    sandbox_db = settings.sandbox_db or (settings.data_dir / "sandbox-carrier.db")
    return CarrierConfig(
        api_key=settings.shippo_api_key,
        base_url=settings.shippo_base_url,
        timeout_seconds=settings.carrier_timeout_seconds,
        max_attempts=settings.carrier_max_attempts,
        max_retry_seconds=settings.carrier_max_retry_seconds,
        purchase_timeout_seconds=settings.carrier_purchase_timeout_seconds,
        live_only=settings.refuse_test_mode,
        sandbox_db_path=str(sandbox_db),
        sandbox_webhook_url=settings.sandbox_webhook_url,
        sandbox_webhook_hmac_secret=settings.shippo_webhook_hmac_secret,
        sandbox_webhook_signature_header=settings.shippo_webhook_signature_header,
        sandbox_latency_ms=settings.sandbox_latency_ms,
        sandbox_faults=settings.sandbox_faults,
        rate_limit_overrides=label_budget(settings),
        http_pool_size=max(16, settings.label_concurrency),
    )


def label_budget(settings: Settings) -> dict[str, int]:
    """FREIGHT_CARRIER_RATE_PER_MINUTE as the gate's budget for label purchases (POST
    /transactions). A test key is held to Shippo's test limit (50); a live account's may be
    raised, so a live key gets what the operator sets."""
    from carriers import limits
    from carriers.factory import SANDBOX_API_KEY

    per_minute = settings.carrier_rate_per_minute
    if limits.mode_of(settings.shippo_api_key or SANDBOX_API_KEY) == "test":
        per_minute = min(per_minute, limits.limit_for("transactions", "write", "test"))
    return {"transactions:write": per_minute}


# id(settings) → (settings, adapter): the entry keeps its Settings alive, so a later Settings
# object can never be handed this adapter by reusing a freed object's id.
_carriers: dict[int, tuple[Settings, Any]] = {}
_carriers_lock = threading.Lock()  # a worker's threads share one adapter (one HTTP pool)


def _carrier_gate(settings: Settings) -> Any:
    """Shippo's per-minute limits, one budget per key and endpoint class for every process.
    The in-process sandbox enforces none, so it gets no gate (tests move its clock)."""
    if not settings.carrier_rate_limits or not (
        settings.shippo_api_key or settings.shippo_base_url
    ):
        return None
    from freight.ratelimit import build_limiter

    return build_limiter(settings)


def carrier_port(settings: Settings) -> CarrierPort:
    """The carrier adapter for these settings (one per Settings object)."""
    key = id(settings)
    if key not in _carriers:
        from carriers.factory import build_carrier

        with _carriers_lock:
            if key not in _carriers:
                settings.data_dir.mkdir(parents=True, exist_ok=True)
                port = build_carrier(carrier_config(settings), _carrier_gate(settings))
                _carriers[key] = (settings, port)
    found: CarrierPort = _carriers[key][1]
    return found


@lru_cache(maxsize=8)
def _payments(
    api_key: str | None,
    base_url: str | None,
    data_dir: str,
    webhook_secret: str | None,
    publishable_key: str | None,
    sandbox_webhook_url: str | None,
) -> Any:
    from freight.payments.factory import build_payments

    return build_payments(
        api_key=api_key, base_url=base_url, data_dir=data_dir, webhook_secret=webhook_secret,
        publishable_key=publishable_key, sandbox_webhook_url=sandbox_webhook_url,
    )  # fmt: skip


def payments_port(settings: Settings) -> Any:
    """The payments adapter (Stripe, or the sandbox provider without a key)."""
    return _payments(
        settings.stripe_api_key, settings.stripe_base_url, str(settings.data_dir),
        settings.stripe_webhook_secret, settings.stripe_publishable_key,
        settings.sandbox_stripe_webhook_url,
    )  # fmt: skip
