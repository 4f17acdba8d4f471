"""A guard for a crash in kombu 5.7's Redis transport when the broker connection drops.

When Redis goes away while the worker holds a delivered, unacknowledged message (a task was
running), Celery 5.7 collects and then closes the broken connection. Collecting detaches the
transport from its connection (`transport.client = None`); closing then asks the old channel to
restore or acknowledge that message, which needs a new Redis client, and building one reads
`transport.client.hostname` -> AttributeError. That error is not a connection error, so the
consumer treats it as unrecoverable and the whole worker exits instead of reconnecting.

The guard makes a detached channel report what it is, a closed connection
(`redis.ConnectionError`), which every caller already handles: the close is ignored, the ack is
logged as not done, the message stays in Redis's unacked set and is redelivered after the
visibility timeout, and the job row makes that redelivery a no-op. Reproduced by
`tests/integration/worker/test_delivery.py::test_redis_restart_while_a_task_runs_keeps_the_worker_alive`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_MARK = "_freight_guarded"


def guard_detached_redis_channels() -> None:
    """Install the guard once per process (idempotent; a no-op without the Redis transport)."""
    try:
        import redis
        from kombu.transport import redis as kombu_redis
    except ImportError:  # pragma: no cover - redis is a dependency
        return
    channel = kombu_redis.Channel
    original: Callable[..., Any] = channel._connparams
    if getattr(original, _MARK, False):
        return

    def _connparams(self: Any, asynchronous: bool = False) -> Any:
        if getattr(self.connection, "client", None) is None:
            raise redis.exceptions.ConnectionError("the broker connection was closed")
        return original(self, asynchronous=asynchronous)

    setattr(_connparams, _MARK, True)
    setattr(channel, "_connparams", _connparams)  # noqa: B010 - replacing a method
