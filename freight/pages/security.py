"""Security headers on every answer (SPEC §10): the pages' Content-Security-Policy and friends.

HTML pages get `default-src 'self'` with no inline script or style (every page's script is a
file under /static), no framing, no plugins, no foreign form targets or <base>. With a Stripe
publishable key set, Stripe.js's own origin is allowed to load scripts and frames, and what
Stripe.js itself needs besides (Stripe's CSP guide): its API for `connect-src` and the 3-D Secure
frame host for `frame-src` — no other origin. JSON answers get `default-src 'none'` (nothing
in them is ever to be run or shown as a page); every answer gets `nosniff` and
`Referrer-Policy: same-origin`.

The API documentation pages get two allowances, only there: their stylesheets draw icons as
`data:` images (/docs and /redoc), and ReDoc renders with styled-components, which writes
<style> elements at run time and runs its search index in a `blob:` worker (/redoc: inline
*styles* and that worker, never inline script).
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from freight.settings import Settings

STRIPE_JS = "https://js.stripe.com"
STRIPE_API = "https://api.stripe.com"  # Stripe.js confirms the intent here
STRIPE_HOOKS = "https://hooks.stripe.com"  # the bank's 3-D Secure challenge frame
# What each documentation page needs beyond a page's policy.
_DOCS_EXTRAS = {
    "/docs": ("img-src 'self' data:",),
    "/redoc": ("img-src 'self' data:", "style-src 'self' 'unsafe-inline'", "worker-src blob:"),
}


def page_policy(*, stripe: bool, extras: tuple[str, ...] = ()) -> str:
    """The Content-Security-Policy of an HTML page."""
    directives = [
        "default-src 'self'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ]
    if stripe:
        directives += [
            f"script-src 'self' {STRIPE_JS}",
            f"frame-src 'self' {STRIPE_JS} {STRIPE_HOOKS}",
            f"connect-src 'self' {STRIPE_API}",
        ]
    return "; ".join([*directives, *extras])


API_POLICY = "default-src 'none'; frame-ancestors 'none'"


class SecurityHeaders:
    """ASGI middleware: adds the headers to each response as it starts (streaming untouched)."""

    def __init__(self, app: ASGIApp, *, stripe: bool) -> None:
        self.app = app
        self._page = page_policy(stripe=stripe)
        self._docs = {
            path: page_policy(stripe=stripe, extras=extras) for path, extras in _DOCS_EXTRAS.items()
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                self._add(headers, path)
            await send(message)

        await self.app(scope, receive, with_headers)

    def _add(self, headers: MutableHeaders, path: str) -> None:
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        kind = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if kind == "text/html":
            headers.setdefault("Content-Security-Policy", self._docs.get(path, self._page))
            headers.setdefault("X-Frame-Options", "DENY")
        elif kind in _JSON:
            headers.setdefault("Content-Security-Policy", API_POLICY)


_JSON: Iterable[str] = frozenset({"application/json", "application/problem+json"})


def security_options(settings: Settings) -> dict[str, bool]:
    """SecurityHeaders' options from the settings."""
    return {"stripe": bool(settings.stripe_publishable_key)}
