"""Shared sliding-window rate limits: one budget per key across every process of the service.

`Limiter` is the component (carrier calls, public look-ups, label throughput reuse it); its
`WindowStore` is Redis in production (the maintained `limits` library, moving window) and a small
SQLite file in the data dir on the embedded default, where API, worker and beat share one file.
"""

from freight.ratelimit.limiter import Limiter, RateLimitWaitTooLong, build_limiter
from freight.ratelimit.store import Decision, WindowStore

__all__ = ["Decision", "Limiter", "RateLimitWaitTooLong", "WindowStore", "build_limiter"]
