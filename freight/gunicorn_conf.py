"""gunicorn's settings from ours: `gunicorn -c python:freight.gunicorn_conf freight.asgi:app`.

Command-line options still win (`-w 4`, `-b 127.0.0.1:8000`). What it sets, and why:
- the settings are checked in the master, so a refusal stops gunicorn before it forks workers;
- JSON logs for gunicorn's and uvicorn's own records (INFO included), secrets masked; the access
  log is the app's (`freight.access`, on stdout, with request ids);
- `forwarded_allow_ips` = FREIGHT_TRUSTED_PROXIES (empty: no X-Forwarded-For is believed; gunicorn
  and uvicorn would otherwise trust it from 127.0.0.1);
- one Prometheus directory for all workers, emptied at start (a fresh one when none is set), and
  a dead worker's live gauges dropped, so every scrape adds up the same processes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from freight.logs import gunicorn_logconfig, secret_values, set_redaction
from freight.settings import get_settings, settings_or_exit

_settings = settings_or_exit()
set_redaction(secret_values(_settings))

worker_class = "uvicorn_worker.UvicornWorker"
bind = ["0.0.0.0:8000"]
workers = 2
graceful_timeout = 20  # in-flight requests finish; compose's stop_grace_period is longer
timeout = 60
keepalive = 5
forwarded_allow_ips = ",".join(_settings.trusted_proxies)
accesslog = None
control_socket_disable = True  # gunicorn's runtime control socket lives in $HOME; not needed
logconfig_dict = gunicorn_logconfig(_settings.log_level)


def _metrics_dir() -> str:
    configured = _settings.prometheus_multiproc_dir
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):  # counters of a previous run
            stale.unlink()
        return str(path)
    return tempfile.mkdtemp(prefix="freight-metrics-")


def on_starting(server: Any) -> None:
    """Before the workers fork: the shared metrics directory, passed to them in the environment."""
    directory = _metrics_dir()
    _DIR[:] = [directory]
    os.environ["FREIGHT_PROMETHEUS_MULTIPROC_DIR"] = directory
    get_settings.cache_clear()  # the workers build their Settings again, with that directory
    server.log.info("metrics.multiprocess dir=%s", directory)
    if not _settings.prometheus_multiproc_dir:
        _TEMP.append(directory)


_TEMP: list[str] = []  # directories made here, removed when gunicorn exits
_DIR: list[str] = []  # this run's metrics directory


def child_exit(_server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    if _DIR:
        multiprocess.mark_process_dead(worker.pid, path=_DIR[0])  # type: ignore[no-untyped-call]


def on_exit(_server: Any) -> None:
    for directory in _TEMP:
        shutil.rmtree(directory, ignore_errors=True)
