"""The process-wide Celery app: `celery -A worker.celery_app worker|beat` (`freight worker`)."""

from __future__ import annotations

from typing import Any

from celery.signals import setup_logging

from freight import wiring
from freight.logs import configure_for, log_startup_warnings
from freight.settings import get_settings
from worker.config import beat_schedule, make_celery

wiring.install()  # worker boot fails if a job, task or carrier event kind has nothing to run it
settings = get_settings()
app = make_celery(settings)
app.conf.beat_schedule = beat_schedule(settings)


@setup_logging.connect  # type: ignore[untyped-decorator]
def _structured_logs(**_: Any) -> None:
    """Celery's own records (task received/succeeded) in the same JSON lines as ours."""
    configure_for(settings)
    log_startup_warnings(settings)


import worker.tasks  # noqa: E402, F401  (registers the shared tasks on this app)
