"""The embedded store's sliding window, on a settable clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from freight.ratelimit import Limiter, RateLimitWaitTooLong
from freight.ratelimit.store import SqliteWindowStore


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def test_the_window_slides_rather_than_resetting(tmp_path: Path) -> None:
    clock = Clock()
    store = SqliteWindowStore(tmp_path / "rl.db", clock=clock)
    for _ in range(3):
        assert store.hit("k", limit=3, period=60).allowed
        clock.t += 10
    refused = store.hit("k", limit=3, period=60)
    assert not refused.allowed
    assert refused.wait_seconds == pytest.approx(30)  # the oldest hit leaves the window then
    clock.t += 30.5
    assert store.hit("k", limit=3, period=60).allowed
    assert not store.hit("k", limit=3, period=60).allowed  # two of the three are still inside


def test_keys_have_their_own_budgets(tmp_path: Path) -> None:
    store = SqliteWindowStore(tmp_path / "rl.db", clock=Clock())
    assert store.hit("a", limit=1, period=60).allowed
    assert store.hit("b", limit=1, period=60).allowed
    assert not store.hit("a", limit=1, period=60).allowed


def test_a_server_block_holds_every_caller_until_it_ends(tmp_path: Path) -> None:
    clock = Clock()
    store = SqliteWindowStore(tmp_path / "rl.db", clock=clock)
    store.close_until("k", clock.t + 12)
    refused = store.hit("k", limit=100, period=60)
    assert not refused.allowed
    assert refused.wait_seconds == pytest.approx(12)
    clock.t += 12.1
    assert store.hit("k", limit=100, period=60).allowed


def test_acquire_sleeps_until_a_slot_frees_and_refuses_waits_beyond_its_bound(
    tmp_path: Path,
) -> None:
    clock = Clock()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.t += seconds

    limiter = Limiter(SqliteWindowStore(tmp_path / "rl.db", clock=clock), sleep=sleep)
    for _ in range(2):
        assert limiter.acquire("k", limit=2, period=60, max_wait=0) == 0
    waited = limiter.acquire("k", limit=2, period=60, max_wait=120)
    assert 60 <= waited < 61
    assert len(slept) == 1
    assert limiter.acquire("k", limit=2, period=60, max_wait=0) == 0  # the window slid past both
    with pytest.raises(RateLimitWaitTooLong) as caught:
        limiter.acquire("k", limit=2, period=60, max_wait=5)
    assert caught.value.wait_seconds > 5


def test_a_minute_edge_lets_no_second_budget_through(tmp_path: Path) -> None:
    """The old fixed window let 20 lookups through in 1.7 s across a minute boundary."""
    clock = Clock()
    clock.t = 1_800_000_000 - 0.85  # just before a whole minute
    store = SqliteWindowStore(tmp_path / "rl.db", clock=clock)
    allowed = 0
    for _ in range(20):  # 20 tries over 1.7 s, straddling the minute
        allowed += store.hit("lookup:203.0.113.7", limit=10, period=60).allowed
        clock.t += 0.085
    assert allowed == 10
    clock.t += 58.4  # a minute after the first hit: the window has slid past it
    assert store.hit("lookup:203.0.113.7", limit=10, period=60).allowed


def test_namespaces_in_one_file_never_share_a_budget(tmp_path: Path) -> None:
    ours = SqliteWindowStore(tmp_path / "rl.db", namespace="rrf-a", clock=Clock())
    theirs = SqliteWindowStore(tmp_path / "rl.db", namespace="rrf-b", clock=Clock())
    assert ours.hit("lookup:x", limit=1, period=60).allowed
    assert theirs.hit("lookup:x", limit=1, period=60).allowed
    assert not ours.hit("lookup:x", limit=1, period=60).allowed
