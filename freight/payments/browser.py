"""What the customer's page needs from the payments settings: with a Stripe publishable key the
card form loads Stripe.js, so the page's Content-Security-Policy must allow Stripe's origins
(SPEC §10: `default-src 'self'`, with a publishable key Stripe.js's own origin too)."""

from __future__ import annotations

from freight.settings import Settings

# Stripe's documented CSP for Stripe.js and the Payment Element (3-D Secure runs in its frames).
STRIPE_CSP: dict[str, tuple[str, ...]] = {
    "script-src": ("https://js.stripe.com",),
    "frame-src": ("https://js.stripe.com", "https://hooks.stripe.com"),
    "connect-src": ("https://api.stripe.com",),
}


def csp_sources(settings: Settings) -> dict[str, tuple[str, ...]]:
    """Extra CSP sources per directive for the pages (none on the sandbox card form)."""
    return dict(STRIPE_CSP) if settings.stripe_api_key and settings.stripe_publishable_key else {}
