"""The limiter is one budget for every process: real Redis and the embedded SQLite file."""

from __future__ import annotations

import multiprocessing
import time
import uuid
from pathlib import Path

import pytest

from freight.ratelimit import Limiter
from freight.ratelimit.store import RedisWindowStore, SqliteWindowStore, WindowStore

PROCESSES, TRIES, LIMIT = 4, 15, 20


def _store(kind: str, where: str) -> WindowStore:
    return RedisWindowStore(where) if kind == "redis" else SqliteWindowStore(where)


def _hammer(kind: str, where: str, key: str, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    store = _store(kind, where)
    out.put(sum(store.hit(key, limit=LIMIT, period=60).allowed for _ in range(TRIES)))


@pytest.fixture(params=["sqlite", "redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    if request.param == "redis":
        return "redis", request.getfixturevalue("redis_url")
    return "sqlite", str(tmp_path / "ratelimit.db")


def test_processes_sharing_a_store_share_one_budget(backend: tuple[str, str]) -> None:
    kind, where = backend
    key = f"test:{uuid.uuid4().hex}"
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue = context.Queue()  # type: ignore[type-arg]
    workers = [
        context.Process(target=_hammer, args=(kind, where, key, results)) for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    allowed = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert sum(allowed) == LIMIT  # 60 tries across 4 processes, exactly 20 let through
    assert not _store(kind, where).hit(key, limit=LIMIT, period=60).allowed


def test_a_refused_hit_says_how_long_until_the_window_frees(backend: tuple[str, str]) -> None:
    kind, where = backend
    store, key = _store(kind, where), f"test:{uuid.uuid4().hex}"
    assert store.hit(key, limit=2, period=2).allowed
    assert store.hit(key, limit=2, period=2).allowed
    refused = store.hit(key, limit=2, period=2)
    assert not refused.allowed
    assert 0 < refused.wait_seconds <= 2.1
    started = time.monotonic()
    Limiter(store).acquire(key, limit=2, period=2, max_wait=5)
    assert 0.5 < time.monotonic() - started < 4


def test_a_block_set_by_one_process_holds_another(backend: tuple[str, str]) -> None:
    kind, where = backend
    key = f"test:{uuid.uuid4().hex}"
    _store(kind, where).close_until(key, time.time() + 30)
    refused = _store(kind, where).hit(key, limit=100, period=60)
    assert not refused.allowed
    assert 25 < refused.wait_seconds <= 30
    _store(kind, where).clear(key)
    assert _store(kind, where).hit(key, limit=100, period=60).allowed


def test_no_burst_at_a_window_edge(backend: tuple[str, str]) -> None:
    """A fixed window would take a second full budget just after its edge; a sliding one
    refuses until the first hits are a whole period old."""
    kind, where = backend
    store, key = _store(kind, where), f"test:{uuid.uuid4().hex}"
    while not 1.6 < time.time() % 2 < 1.8:  # just before an even second: a 2 s window's edge
        time.sleep(0.02)
    assert all(store.hit(key, limit=5, period=2).allowed for _ in range(5))
    time.sleep(2 - time.time() % 2 + 0.1)  # just past the edge
    assert not store.hit(key, limit=5, period=2).allowed
    time.sleep(2.1)
    assert store.hit(key, limit=5, period=2).allowed


def test_namespaces_keep_budgets_apart(backend: tuple[str, str]) -> None:
    """Two deployments (or test runs) on one Redis database, or one SQLite file, never share
    a budget even for the same client key."""
    kind, where = backend
    key = "lookup:203.0.113.7"
    ours, theirs = f"rrf-a-{uuid.uuid4().hex[:8]}", f"rrf-b-{uuid.uuid4().hex[:8]}"
    first: RedisWindowStore | SqliteWindowStore
    second: RedisWindowStore | SqliteWindowStore
    if kind == "redis":
        first, second = (
            RedisWindowStore(where, namespace=ours),
            RedisWindowStore(where, namespace=theirs),
        )
    else:
        first, second = (
            SqliteWindowStore(where, namespace=ours),
            SqliteWindowStore(where, namespace=theirs),
        )
    assert first.hit(key, limit=1, period=60).allowed
    assert not first.hit(key, limit=1, period=60).allowed
    assert second.hit(key, limit=1, period=60).allowed
    if kind == "redis":
        import redis

        names = {n.decode() for n in redis.Redis.from_url(where).scan_iter(match=f"{ours}:*")}
        assert names
        assert all(n.startswith(f"{ours}:window/{key}/") for n in names)
