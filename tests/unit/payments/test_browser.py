"""The pages allow Stripe's origins only when Stripe.js is used."""

from __future__ import annotations

from freight.payments.browser import csp_sources
from freight.settings import Settings


def test_stripe_origins_only_with_a_publishable_key() -> None:
    assert csp_sources(Settings(env="test")) == {}
    live = Settings(env="test", stripe_api_key="sk_test_x", stripe_publishable_key="pk_test_x")
    assert csp_sources(live)["script-src"] == ("https://js.stripe.com",)
