"""Build the payments adapter: Stripe with a key, else the sandbox provider."""

from __future__ import annotations

from pathlib import Path

from freight.payments.port import PaymentsPort


def build_payments(
    *,
    api_key: str | None,
    base_url: str | None,
    data_dir: str,
    webhook_secret: str | None = None,
    publishable_key: str | None = None,
    sandbox_webhook_url: str | None = None,
) -> PaymentsPort:
    """Stripe with a key; else the file-backed sandbox shared by all processes, which signs its
    events with its own secret and POSTs them to `sandbox_webhook_url` when set."""
    if api_key:
        from freight.payments.stripe_adapter import StripePayments

        return StripePayments(
            api_key,
            base_url=base_url,
            webhook_secret=webhook_secret,
            publishable_key=publishable_key,
        )
    from freight.payments.sandbox import SandboxPayments

    return SandboxPayments(Path(data_dir) / "sandbox-payments.db", webhook_url=sandbox_webhook_url)
