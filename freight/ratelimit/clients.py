"""Per-client budgets for the public endpoints (lookup, submissions, warranty), SPEC §10.

One sliding window per purpose and client address, in the shared store (Redis, or the data dir's
SQLite file on the embedded default), so every API process — `--workers 4`, gunicorn's workers,
another host on the same Redis — spends the same budget, and no window edge lets a burst through.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from freight.proxies import client_address
from freight.ratelimit.limiter import Limiter, build_limiter
from freight.settings import Settings

log = logging.getLogger("freight.ratelimit")
PERIOD_SECONDS = 60.0


def request_client(request: Any) -> str:
    """The address a request is counted against: the socket peer, or — only when the peer is in
    FREIGHT_TRUSTED_PROXIES — the right-most untrusted X-Forwarded-For hop."""
    settings: Settings = request.app.state.settings
    return client_address(
        request.client.host if request.client else None,
        ", ".join(request.headers.getlist("x-forwarded-for")) or None,
        settings.trusted_proxies,
    )


def app_limiter(holder: Any, settings: Settings) -> Limiter:
    """The app's limiter (kept on `holder`, app.state): one store connection per process."""
    limiter: Limiter | None = getattr(holder, "client_limiter", None)
    if limiter is None:
        limiter = build_limiter(settings)
        holder.client_limiter = limiter
    return limiter


def client_wait(
    holder: Any, settings: Settings, *, purpose: str, client: str, per_minute: int
) -> int | None:
    """Count one request of `client` for `purpose`: None if within `per_minute` over the last
    60 s, else the whole seconds until a slot frees (for Retry-After)."""
    try:
        decision = app_limiter(holder, settings).hit(
            f"{purpose}:{client}", limit=per_minute, period=PERIOD_SECONDS
        )
    except Exception as exc:  # noqa: BLE001 - a store outage must not lock customers out
        log.warning(
            "ratelimit.unavailable",
            extra={"event": "ratelimit.unavailable", "purpose": purpose, "error": repr(exc)},
        )
        return None
    return None if decision.allowed else max(1, math.ceil(decision.wait_seconds))
