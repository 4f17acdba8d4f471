"""Celery configuration from Settings: Redis in production, an embedded SQLite broker otherwise.

Every job goes through one generic task (`worker.tasks.run_job`); periodic tasks through
`worker.tasks.run_periodic`, scheduled by beat from the job registry. Messages are acknowledged
late and requeued when a worker dies; the job rows decide what actually runs, so a redelivery
never doubles an outcome.
"""

from __future__ import annotations

import logging
from contextlib import closing
from datetime import timedelta
from typing import Any

from celery import Celery

from freight.settings import Settings
from worker.kombu_patch import guard_detached_redis_channels

log = logging.getLogger("freight.worker")

RUN_JOB = "worker.tasks.run_job"
RUN_JOBS = "worker.tasks.run_jobs"
RUN_PERIODIC = "worker.tasks.run_periodic"


def broker_url(settings: Settings) -> str:
    """Redis when configured; else kombu's SQLAlchemy transport on a SQLite file (no server)."""
    if settings.redis_url:
        return settings.redis_url
    path = (settings.data_dir / "broker.db").resolve()
    return f"sqla+sqlite:///{path}"


def _transport_options(settings: Settings) -> dict[str, Any]:
    if settings.redis_url:
        return {
            "visibility_timeout": settings.broker_visibility_timeout,
            "unacked_restore_interval": 5,
            "unacked_restore_throttle": 1,
            "socket_connect_timeout": 2,
            "socket_timeout": 15,
            "health_check_interval": 10,
        }
    # Passed to create_engine: let the API, worker and beat share the SQLite file.
    return {"connect_args": {"timeout": 30, "check_same_thread": False}}


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """One beat entry per registered periodic task (message expires when the next is due)."""
    from freight.jobs.registry import load_handlers

    schedule: dict[str, dict[str, Any]] = {}
    for name, entry in sorted(load_handlers().periodic.items()):
        every = settings.relay_interval_seconds if name == "jobs.relay" else entry.every_seconds
        schedule[name] = {
            "task": RUN_PERIODIC,
            "schedule": timedelta(seconds=every),
            "args": (name,),
            "options": {"queue": settings.task_queue, "expires": max(every, 5.0)},
        }
    return schedule


def make_celery(settings: Settings) -> Celery:
    """A Celery app for these settings (tasks are registered by importing worker.tasks)."""
    guard_detached_redis_channels()  # a Redis restart must not kill the worker (see the module)
    app = Celery("freight", set_as_current=False)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app.conf.update(
        broker_url=broker_url(settings),
        broker_transport_options=_transport_options(settings),
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=2,
        task_default_queue=settings.task_queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        task_ignore_result=True,
        task_time_limit=settings.job_lease_seconds,
        task_publish_retry=False,  # a publish error leaves the outbox row pending for the relay
        task_serializer="json",
        accept_content=["json"],
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        beat_schedule_filename=str((settings.beat_path / "celerybeat-schedule").resolve()),
        beat_max_loop_interval=15,  # the beat heartbeat's longest gap (worker/beat.py)
        timezone="UTC",
        enable_utc=True,
    )
    app.conf.freight_settings = settings
    app.conf.imports = ("worker.tasks",)
    return app


def broker_depth(settings: Settings) -> int | None:
    """Messages waiting in the task queue (None when the broker cannot be asked)."""
    try:
        if settings.redis_url:
            import redis

            client = redis.Redis.from_url(
                settings.redis_url, socket_timeout=1, socket_connect_timeout=1
            )
            return int(client.llen(settings.task_queue))
        import sqlite3

        path = settings.data_dir / "broker.db"
        if not path.exists():
            return 0
        with closing(sqlite3.connect(path, timeout=1)) as conn:
            row = conn.execute(
                "SELECT count(*) FROM kombu_message m JOIN kombu_queue q ON m.queue_id = q.id "
                "WHERE q.name = ? AND m.visible = 1",
                (settings.task_queue,),
            ).fetchone()
            return int(row[0])
    except Exception:  # noqa: BLE001 - a scrape never fails over the broker
        return None
