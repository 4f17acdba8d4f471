"""Per-client rate limit for the public lookup: Redis in production, in-process when embedded."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any, Protocol

from freight.proxies import client_address
from freight.settings import Settings

log = logging.getLogger("freight.tracking")
WINDOW_SECONDS = 60


class RateLimiter(Protocol):
    def hit(self, key: str, *, now: datetime) -> int | None:
        """Count one request; the seconds to wait when over the limit, else None."""
        ...


def _window(now: datetime) -> tuple[int, int]:
    """(window number, seconds left in it) for fixed one-minute windows."""
    ts = int(now.timestamp())
    return ts // WINDOW_SECONDS, WINDOW_SECONDS - ts % WINDOW_SECONDS


class MemoryLimiter:
    """Fixed one-minute windows in this process (the embedded default has one API process)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._counts: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, *, now: datetime) -> int | None:
        window, left = _window(now)
        with self._lock:
            if len(self._counts) > 10_000:  # forget old windows; bounded memory
                self._counts = {k: v for k, v in self._counts.items() if v[0] == window}
            seen_window, count = self._counts.get(key, (window, 0))
            count = count + 1 if seen_window == window else 1
            self._counts[key] = (window, count)
        return left if count > self.per_minute else None


class RedisLimiter:
    """INCR + EXPIRE on a per-window key, shared by every API process."""

    def __init__(self, url: str, per_minute: int) -> None:
        import redis

        self.per_minute = per_minute
        self._redis: Any = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)

    def hit(self, key: str, *, now: datetime) -> int | None:
        window, left = _window(now)
        name = f"rrf:ratelimit:{key}:{window}"
        try:
            pipe = self._redis.pipeline()
            pipe.incr(name)
            pipe.expire(name, WINDOW_SECONDS * 2)
            count = int(pipe.execute()[0])
        except Exception as exc:  # noqa: BLE001 - a cache outage must not lock customers out
            log.warning("ratelimit.unavailable error=%s", exc)
            return None
        return left if count > self.per_minute else None


def client_of(peer: str | None, forwarded_for: str | None, settings: Settings) -> str:
    """The address a limit counts against: the peer, or behind a trusted proxy the client."""
    return client_address(peer, forwarded_for, settings.trusted_proxies)


def limiter_for(holder: Any, settings: Settings) -> RateLimiter:
    """The app's limiter, kept on `holder` (app.state): Redis if configured, else in-process."""
    limiter: RateLimiter | None = getattr(holder, "lookup_limiter", None)
    if limiter is None:
        per_minute = settings.lookup_rate_per_minute
        limiter = (
            RedisLimiter(settings.redis_url, per_minute)
            if settings.redis_url
            else MemoryLimiter(per_minute)
        )
        holder.lookup_limiter = limiter
    return limiter
