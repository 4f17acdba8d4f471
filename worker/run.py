"""`freight worker`, `freight beat` and `freight tasks run NAME [--as-of ISO-8601]`."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from freight.settings import Settings, get_settings


def worker_pool(settings: Settings) -> str:
    """Celery's thread pool unless FREIGHT_WORKER_POOL says otherwise: a job mostly waits on the
    carrier, the payment provider or the database, so one process keeps many in flight."""
    return settings.worker_pool or "threads"


def worker_concurrency(settings: Settings, concurrency: int | None) -> int:
    """--concurrency, else FREIGHT_LABEL_CONCURRENCY threads (2 processes for prefork)."""
    if concurrency is None:
        concurrency = settings.label_concurrency if worker_pool(settings) == "threads" else 2
    return max(1, concurrency)


def size_pools_for_threads(settings: Settings, concurrency: int) -> None:
    """Every thread may hold a database connection at once, so this process's pool (built later,
    from these settings) never makes a running job wait for one."""
    if worker_pool(settings) == "threads":
        settings.db_pool_size = max(settings.db_pool_size, concurrency)


def worker_argv(settings: Settings, concurrency: int | None) -> list[str]:
    """Celery worker arguments: our queue, one message per free slot, no broadcast chatter."""
    pool = worker_pool(settings)
    return [
        "--quiet",  # no banner on stdout: every line there is JSON (worker_ready is logged)
        "worker", "--queues", settings.task_queue,
        "--concurrency", str(worker_concurrency(settings, concurrency)),
        "--pool", pool, "--loglevel", settings.log_level,
        "--hostname", f"freight-{settings.task_queue}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip


def run_worker(*, concurrency: int | None = None) -> int:
    """Run a Celery worker in the foreground until stopped."""
    from worker.celery_app import app, settings

    size_pools_for_threads(settings, worker_concurrency(settings, concurrency))
    export_worker_metrics(settings)
    app.worker_main(worker_argv(settings, concurrency))
    return 0


def export_worker_metrics(settings: Settings) -> None:
    """Task counters of every pool process, on FREIGHT_WORKER_METRICS_PORT and/or in the host's
    shared Prometheus directory (which `freight serve`'s API then reports too).

    Set up before the pool forks, so each child counts in its own file of that directory.
    """
    import tempfile

    from freight.metrics import enable_multiprocess, serve_worker_metrics

    directory = settings.prometheus_multiproc_dir
    if settings.worker_metrics_port is None and not directory:
        return
    if not directory:
        import atexit
        import shutil

        directory = tempfile.mkdtemp(prefix="freight-worker-metrics-")
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
    enable_multiprocess(directory)
    if settings.worker_metrics_port is not None:
        serve_worker_metrics(settings.worker_metrics_port)


def run_beat() -> int:
    """Run the beat scheduler in the foreground; beats beyond the first wait as standbys."""
    from worker import beat
    from worker.celery_app import app, settings

    beat_dir = settings.beat_path
    lock = beat.leader_lock(settings)
    beat.wait_for_leadership(lock, beat_dir)
    watchdog = beat.Watchdog(lock)
    watchdog.start()
    scheduler = beat.HeartbeatScheduler
    scheduler.beat_dir = beat_dir
    try:
        app.start([
            "--quiet", "beat", "--loglevel", settings.log_level,
            "--scheduler", f"{scheduler.__module__}:{scheduler.__name__}",
            "--schedule", str((beat_dir / "celerybeat-schedule").resolve()),
        ])  # fmt: skip
    finally:
        lock.release()
    return beat.LOST_EXIT_CODE if watchdog.lost.is_set() else 0


def parse_as_of(value: str | None, settings: Settings) -> datetime | None:
    """The --as-of instant (aware ISO-8601); refused in production."""
    if value is None:
        return None
    if settings.env == "production":
        raise ValueError("--as-of is refused when FREIGHT_ENV=production; the clock is real there")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"--as-of {value!r} is not an ISO-8601 instant") from exc
    if moment.tzinfo is None:
        raise ValueError(f"--as-of {value!r} needs a time zone (e.g. 2026-12-05T09:00:00Z)")
    return moment


def run_task_once(name: str, *, as_of: str | None = None) -> int:
    """Run one periodic task inline, now (or as of an instant), and print what it did."""
    from freight import wiring
    from freight.clock import utc_now
    from freight.db import engine_for, session_factory
    from freight.jobs.outbox import has_publisher, set_publisher
    from freight.jobs.service import UnknownTaskError, job_context, run_periodic
    from worker.publish import flush_all, install_publisher

    wiring.install()
    settings = get_settings()
    try:
        moment = parse_as_of(as_of, settings)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201 - CLI output
        return 2
    now = moment or utc_now()
    engine = engine_for(settings.db_url)
    had_publisher = has_publisher(engine)
    install_publisher(settings)  # jobs it enqueues (and jobs.relay) reach the broker after commit
    try:
        result = run_periodic(session_factory(engine), lambda: job_context(settings, now), name)
    except UnknownTaskError as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201 - CLI output
        return 2
    finally:
        flush_all()
        if not had_publisher:  # leave the process as we found it (tests call this in-process)
            set_publisher(engine, None)
    print(f"{name} as of {now.isoformat()}: {_describe(result)}")  # noqa: T201 - CLI output
    return 0


def _describe(result: Any) -> str:
    if isinstance(result, list | tuple | set):
        items = ", ".join(str(r) for r in result)
        return f"{len(result)} item(s)" + (f": {items}" if items else "")
    return "done" if result is None else str(result)
