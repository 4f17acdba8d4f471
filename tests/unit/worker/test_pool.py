"""A worker keeps FREIGHT_LABEL_CONCURRENCY jobs in flight on Celery's thread pool, with pools
sized so no thread waits for a database connection or a carrier socket."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from carriers.shippo.session import TimeoutSession
from freight.ports import carrier_config
from freight.settings import Settings
from worker import tasks
from worker.run import size_pools_for_threads, worker_argv


def _flag(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_the_default_worker_runs_sixteen_jobs_at_once_on_celerys_thread_pool() -> None:
    argv = worker_argv(Settings(redis_url="redis://127.0.0.1:6379/0"), None)
    assert (_flag(argv, "--pool"), _flag(argv, "--concurrency")) == ("threads", "16")
    eight = Settings(label_concurrency=8)
    assert _flag(worker_argv(eight, None), "--concurrency") == "8"
    assert _flag(worker_argv(eight, 3), "--concurrency") == "3"  # --concurrency wins
    prefork = Settings(worker_pool="prefork")
    argv = worker_argv(prefork, None)
    assert (_flag(argv, "--pool"), _flag(argv, "--concurrency")) == ("prefork", "2")


def test_a_thread_pool_worker_holds_a_database_connection_per_thread() -> None:
    settings = Settings(db_pool_size=5, label_concurrency=16)
    size_pools_for_threads(settings, 16)
    assert settings.db_pool_size == 16
    prefork = Settings(db_pool_size=5, worker_pool="prefork")
    size_pools_for_threads(prefork, 16)
    assert prefork.db_pool_size == 5  # each prefork child runs one job


def test_the_carrier_session_keeps_a_connection_for_every_thread(tmp_path: Path) -> None:
    config = carrier_config(Settings(data_dir=tmp_path, label_concurrency=32))
    assert config.http_pool_size == 32
    assert carrier_config(Settings(data_dir=tmp_path, label_concurrency=4)).http_pool_size == 16
    session = TimeoutSession(5.0, pool_size=config.http_pool_size)
    adapter = session.get_adapter("https://api.goshippo.com/transactions")
    assert adapter._pool_maxsize == 32  # type: ignore[attr-defined]


def test_threads_starting_at_once_share_one_runtime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FREIGHT_DATABASE_URL", f"sqlite:///{tmp_path / 'w.db'}")
    monkeypatch.setattr(tasks, "_runtimes", {})
    start, seen = threading.Barrier(16), []

    def first_task() -> None:
        start.wait()
        seen.append(tasks.runtime())

    threads = [threading.Thread(target=first_task) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 16
    assert len({id(rt) for rt in seen}) == 1
