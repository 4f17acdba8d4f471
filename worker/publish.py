"""The after-commit publisher: job ids to the broker, then their outbox rows marked `queued`.

Publishing runs on one background thread per process, fed by the after-commit hook: a request
never waits for the broker (nor needs a second database connection while it holds one), a
broker outage never fails a committed request, and rows are marked `queued` in batches. Anything
not sent (broker down, process killed) stays `pending` and the `jobs.relay` periodic task sends it.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from celery import Celery
from sqlalchemy import Engine, update

from freight.db import engine_for, utcnow
from freight.jobs.models import Job
from freight.jobs.outbox import set_publisher
from freight.settings import Settings
from worker.config import RUN_JOB, RUN_JOBS, broker_url, make_celery

log = logging.getLogger("freight.worker")

_APPS: dict[tuple[str, str], Celery] = {}
BATCH = 200
JOBS_PER_MESSAGE = 16  # bulk (webhook) jobs per broker message: a burst still spreads over workers
LINGER = 0.02  # seconds the publisher waits for more ids before sending one batch


def _publishing_app(settings: Settings) -> Celery:
    key = (broker_url(settings), settings.task_queue)
    if key not in _APPS:
        _APPS[key] = make_celery(settings)
    return _APPS[key]


class BackgroundPublisher:
    """Callable publisher: queues ids; a daemon thread sends them and marks the rows `queued`.

    `publish_bulk(ids)` takes jobs whose rows their writer already stored as `queued` (the webhook
    group writer): they travel JOBS_PER_MESSAGE to a broker message and need no confirming UPDATE;
    if sending fails they are put back to `pending`, where the relay picks them up.
    """

    def __init__(self, celery: Celery, engine: Engine, task_queue: str) -> None:
        self.celery, self.engine, self.task_queue = celery, engine, task_queue
        self._ids: queue.Queue[tuple[tuple[str, ...], bool]] = queue.Queue()  # one item per call
        self._pid = -1
        self._lock = threading.Lock()

    def __call__(self, job_ids: Sequence[str]) -> None:
        self._put(job_ids, bulk=False)

    def publish_bulk(self, job_ids: Sequence[str]) -> None:
        self._put(job_ids, bulk=True)

    def _put(self, job_ids: Sequence[str], *, bulk: bool) -> None:
        self._ensure_thread()
        if job_ids:
            self._ids.put((tuple(job_ids), bulk))

    def _ensure_thread(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:  # first use in this process (also after a fork)
            if self._pid != os.getpid():
                self._ids = queue.Queue()
                threading.Thread(target=self._run, name="freight-publisher", daemon=True).start()
                self._pid = os.getpid()

    def _run(self) -> None:
        while True:
            items = [self._ids.get()]
            time.sleep(LINGER)  # let a burst gather: one broker round trip and one UPDATE for all
            count = len(items[0][0])
            while count < BATCH:
                try:
                    items.append(self._ids.get_nowait())
                except queue.Empty:
                    break
                count += len(items[-1][0])
            single = [job_id for ids, bulk in items if not bulk for job_id in ids]
            bulk = [job_id for ids, is_bulk in items if is_bulk for job_id in ids]
            try:
                self.publish_now(single, bulk=bulk)
            except Exception as exc:  # noqa: BLE001 - the relay re-sends whatever is still pending
                log.warning("jobs.publish.failed count=%s error=%r", count, exc)
                self._give_back(bulk)
            finally:
                for _ in items:
                    self._ids.task_done()

    def publish_now(self, job_ids: Sequence[str], *, bulk: Sequence[str] = ()) -> None:
        """Send the jobs in one pipelined batch (no blocking retries), then mark them `queued`."""
        messages: list[tuple[str, list[Any]]] = [(RUN_JOB, [job_id]) for job_id in job_ids]
        for i in range(0, len(bulk), JOBS_PER_MESSAGE):
            chunk = list(bulk[i : i + JOBS_PER_MESSAGE])
            messages.append((RUN_JOB, chunk) if len(chunk) == 1 else (RUN_JOBS, [chunk]))
        with self.celery.producer_or_acquire() as producer:  # one connection per batch
            batch = getattr(producer, "batch", None)  # kombu >= 5.7 pipelines Redis publishes
            with batch(max_size=BATCH) if batch else nullcontext():
                for n, (task, args) in enumerate(messages):
                    self.celery.send_task(
                        task, args=args, queue=self.task_queue, retry=False,
                        producer=producer, argsrepr=repr(args), kwargsrepr="{}",
                        declare=None if n == 0 else [],  # the queue once per batch, not per job
                    )  # fmt: skip
        if not job_ids:
            return
        # Only once the whole batch reached the broker (a failed batch is re-sent by the relay;
        # a job sent twice runs once).
        now = utcnow()
        with self.engine.begin() as conn:
            conn.execute(
                update(Job).where(Job.id.in_(job_ids), Job.status == "pending")
                .values(status="queued", relayed_at=now, updated_at=now)
            )  # fmt: skip

    def _give_back(self, job_ids: Sequence[str]) -> None:
        """Bulk jobs that did not reach the broker: back to `pending`, for the relay."""
        if not job_ids:
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    update(Job).where(Job.id.in_(job_ids), Job.status == "queued")
                    .values(status="pending", relayed_at=None)
                )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - the stale sweep re-sends them later
            log.warning("jobs.publish.give_back_failed count=%s error=%r", len(job_ids), exc)

    def flush(self) -> None:
        """Wait until everything handed over so far was sent (or given up on)."""
        if self._pid == os.getpid():
            self._ids.join()


_PUBLISHERS: dict[tuple[str, str, str], BackgroundPublisher] = {}


def publisher_for(settings: Settings) -> BackgroundPublisher:
    """The process's publisher for this database and broker queue."""
    key = (settings.db_url, broker_url(settings), settings.task_queue)
    if key not in _PUBLISHERS:
        engine = engine_for(settings.db_url)
        _PUBLISHERS[key] = BackgroundPublisher(
            _publishing_app(settings), engine, settings.task_queue
        )
    return _PUBLISHERS[key]


def install_publisher(settings: Settings) -> BackgroundPublisher:
    """Publish jobs enqueued through sessions on this database after they commit."""
    publisher = publisher_for(settings)
    set_publisher(engine_for(settings.db_url), publisher)
    return publisher


def flush_all() -> None:
    """Send what is waiting before the process exits (the relay would, later)."""
    for publisher in list(_PUBLISHERS.values()):
        publisher.flush()


atexit.register(flush_all)
