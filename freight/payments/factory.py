"""Build the payments adapter: Stripe with a key, else the sandbox provider."""

from __future__ import annotations

from pathlib import Path

from freight.payments.port import PaymentsPort


def build_payments(*, api_key: str | None, base_url: str | None, data_dir: str) -> PaymentsPort:
    """Stripe with a key; else the file-backed sandbox shared by all processes."""
    if api_key:
        from freight.payments.stripe_adapter import StripePayments

        return StripePayments(api_key, base_url=base_url)
    from freight.payments.sandbox import SandboxPayments

    return SandboxPayments(Path(data_dir) / "sandbox-payments.db")
