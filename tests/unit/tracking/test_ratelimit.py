"""The in-process lookup rate limit (the Redis one is exercised in integration tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freight.tracking.ratelimit import MemoryLimiter


def test_allows_the_limit_then_says_how_long_to_wait() -> None:
    limiter, now = MemoryLimiter(3), datetime(2026, 11, 2, 17, 0, 15, tzinfo=UTC)
    assert [limiter.hit("a", now=now) for _ in range(3)] == [None, None, None]
    assert limiter.hit("a", now=now) == 45
    assert limiter.hit("b", now=now) is None  # per client


def test_a_new_minute_starts_a_new_window() -> None:
    limiter, now = MemoryLimiter(1), datetime(2026, 11, 2, 17, 0, 59, tzinfo=UTC)
    assert limiter.hit("a", now=now) is None
    assert limiter.hit("a", now=now) == 1
    assert limiter.hit("a", now=now + timedelta(seconds=1)) is None


def test_redis_limiter_counts_across_processes(redis_url: str) -> None:
    import uuid

    from freight.tracking.ratelimit import RedisLimiter

    key, now = f"test-{uuid.uuid4().hex}", datetime(2026, 11, 2, 17, 0, 30, tzinfo=UTC)
    first, second = RedisLimiter(redis_url, 2), RedisLimiter(redis_url, 2)
    assert first.hit(key, now=now) is None
    assert second.hit(key, now=now) is None
    assert first.hit(key, now=now) == 30


def test_redis_outage_does_not_lock_customers_out() -> None:
    from freight.tracking.ratelimit import RedisLimiter

    limiter = RedisLimiter("redis://127.0.0.1:1/0", 1)
    now = datetime(2026, 11, 2, 17, tzinfo=UTC)
    assert limiter.hit("k", now=now) is None
    assert limiter.hit("k", now=now) is None
