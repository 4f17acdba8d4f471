"""Real servers for the worker tests: our own Redis (so it can be restarted), a fresh PostgreSQL
database, Celery worker / beat / API processes started with subprocess and always killed."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import CI

ROOT = Path(__file__).resolve().parents[3]
WORKER_MAIN = Path(__file__).with_name("worker_main.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(
    check: Callable[[], bool],
    timeout: float,
    what: str,
    every: float = 0.2,
    diagnose: Callable[[], str] | None = None,
) -> None:
    """Poll until `check()`; on timeout fail with `diagnose()`'s account of the state."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    detail = f"\n{diagnose()}" if diagnose else ""
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{detail}")


@dataclass
class Proc:
    """A child process in its own process group, logging to a file."""

    name: str
    cmd: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            self.cmd,
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def signal(self, sig: int) -> None:
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)

    def stop(self, timeout: float = 10) -> None:
        if self.popen is None:
            return
        self.signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.popen.wait(timeout=5)
        try:  # children of a killed leader may linger in the group
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class Stack:
    """Environment shared by every process of one test module."""

    tmp: Path
    env: dict[str, str]
    db_url: str
    redis_port: int
    procs: list[Proc] = field(default_factory=list)

    def spawn(self, name: str, cmd: list[str], **env: str) -> Proc:
        proc = Proc(name, cmd, {**self.env, **env}, self.tmp / f"{name}.log").start()
        self.procs.append(proc)
        return proc

    def worker(self, name: str = "worker", concurrency: int = 2, **env: str) -> Proc:
        return self.spawn(name, [sys.executable, str(WORKER_MAIN), str(concurrency)], **env)

    def beat(self) -> Proc:
        return self.spawn("beat", [sys.executable, "-m", "freight.cli", "beat"])

    def redis(self) -> Proc:
        cmd = [
            shutil.which("redis-server") or "redis-server", "--port", str(self.redis_port),
            "--bind", "127.0.0.1", "--dir", str(self.tmp), "--appendonly", "yes", "--save", "",
        ]  # fmt: skip
        proc = self.spawn("redis", cmd)
        wait_for(lambda: _reachable(self.redis_port), 10, "redis to listen")
        return proc

    def settings_env(self) -> dict[str, str]:
        return {
            k[len("FREIGHT_") :].lower(): v for k, v in self.env.items() if k.startswith("FREIGHT_")
        }

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def stack(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A fresh PostgreSQL database and the environment for this module's processes."""
    if shutil.which("redis-server") is None:
        message = "redis-server is not installed (needed to restart Redis in the worker tests)"
        pytest.fail(message) if CI else pytest.skip(message)
    tmp = tmp_path_factory.mktemp("worker-stack")
    name = f"freight_worker_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = pg_url.rsplit("/", 1)[0] + f"/{name}"
    _create_schema(db_url)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FREIGHT_")}
    env.update({
        "PYTHONPATH": str(ROOT), "FREIGHT_ENV": "development", "FREIGHT_DATABASE_URL": db_url,
        "FREIGHT_REDIS_URL": f"redis://127.0.0.1:{port}/0", "FREIGHT_TASK_QUEUE": f"test-{name}",
        "FREIGHT_DATA_DIR": str(tmp / "data"), "FREIGHT_SANDBOX_DB": str(tmp / "sandbox.db"),
        "FREIGHT_BROKER_VISIBILITY_TIMEOUT": "4", "FREIGHT_JOB_LEASE_SECONDS": "8",
        "FREIGHT_JOB_RETRY_BASE_SECONDS": "0.2", "FREIGHT_JOB_RETRY_MAX_SECONDS": "2",
        "FREIGHT_RELAY_INTERVAL_SECONDS": "1", "FREIGHT_RELAY_AFTER_SECONDS": "2",
        "FREIGHT_JOB_REQUEUE_AFTER_SECONDS": "20", "FREIGHT_LOG_LEVEL": "INFO",
    })  # fmt: skip
    s = Stack(tmp, env, db_url, port)
    try:
        yield s
    finally:
        s.stop_all()
        from freight.db import engine_for

        engine_for(db_url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _create_schema(url: str) -> None:
    from freight.models import Base

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE test_effects (id serial PRIMARY KEY, kind text, key text)"))
    engine.dispose()
