"""The limiter callers use: take a slot now, or wait for one (bounded), or be told how long."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from freight.ratelimit.store import Decision, RedisWindowStore, SqliteWindowStore, WindowStore

if TYPE_CHECKING:
    from freight.settings import Settings

log = logging.getLogger("freight.ratelimit")


class RateLimitWaitTooLong(TimeoutError):
    """The next free slot is further away than the caller is willing to wait."""

    def __init__(self, key: str, wait_seconds: float) -> None:
        super().__init__(f"rate limit on {key}: next slot in {wait_seconds:.1f}s")
        self.key = key
        self.wait_seconds = wait_seconds


class Limiter:
    """Sliding-window budgets per key, shared through a WindowStore by every process.

    Callers start their keys with their purpose (`lookup:203.0.113.7`, `shippo:…`); the store
    puts its namespace in front (`rrf:lookup:…`), so budgets of different purposes, deployments
    sharing one Redis, or test runs sharing one Redis database never count against each other."""

    def __init__(
        self,
        store: WindowStore,
        *,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.store = store
        self._sleep = sleep
        self._jitter = jitter

    def hit(self, key: str, *, limit: int, period: float) -> Decision:
        """Take a slot if one is free; never waits."""
        return self.store.hit(key, limit=limit, period=period)

    def clear(self, key: str) -> None:
        """Forget the window and any block of `key`."""
        self.store.clear(key)

    def acquire(self, key: str, *, limit: int, period: float, max_wait: float) -> float:
        """Take a slot, sleeping until one frees; the seconds waited. Raises
        RateLimitWaitTooLong (having waited nothing more) when the next slot is beyond max_wait."""
        waited = 0.0
        while True:
            decision = self.hit(key, limit=limit, period=period)
            if decision.allowed:
                if waited:
                    log.info(
                        "ratelimit.waited",
                        extra={"event": "ratelimit.waited", "key": key, "seconds": waited},
                    )
                return waited
            # A little jitter so processes that waited for the same slot do not all retry at once.
            pause = decision.wait_seconds + 0.05 * self._jitter()
            if waited + pause > max_wait:
                raise RateLimitWaitTooLong(key, decision.wait_seconds)
            self._sleep(pause)
            waited += pause

    def close_until(self, key: str, until: float) -> None:
        """Every process stops calling `key` until epoch `until` (e.g. X-RateLimit-Reset)."""
        self.store.close_until(key, until)


def build_limiter(settings: Settings) -> Limiter:
    """Redis when configured (every host shares it), else the SQLite file in the data dir (every
    process of this host shares it), keys under FREIGHT_RATELIMIT_NAMESPACE."""
    namespace = settings.ratelimit_namespace
    if settings.redis_url:
        return Limiter(RedisWindowStore(settings.redis_url, namespace=namespace))
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    path = Path(settings.data_dir) / "ratelimit.db"
    return Limiter(SqliteWindowStore(path, namespace=namespace))
