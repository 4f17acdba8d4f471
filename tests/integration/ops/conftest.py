"""Production-shape processes for the ops tests: fresh PostgreSQL databases, real subprocesses."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.integration.worker.conftest import Proc

FREIGHT = [sys.executable, "-m", "freight.cli"]


@pytest.fixture
def fresh_pg(pg_url: str) -> Iterator[str]:
    """An empty PostgreSQL database (no schema), dropped afterwards."""
    name = f"freight_ops_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")  # fmt: skip
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield pg_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def base_env(tmp_path: Path) -> dict[str, str]:
    """The environment of an operator's shell: nothing FREIGHT_ but a data directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FREIGHT_", "PROMETHEUS_"))}
    env["FREIGHT_DATA_DIR"] = str(tmp_path / "data")
    return env


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., Proc]]:
    """Start a process (own process group, output in a log file); all are stopped afterwards."""
    procs: list[Proc] = []

    def start(name: str, cmd: list[str], env: dict[str, str]) -> Proc:
        proc = Proc(name, cmd, env, tmp_path / f"{name}.log").start()
        procs.append(proc)
        return proc

    yield start
    for proc in reversed(procs):
        proc.stop(timeout=3)  # what they do on the way out is not under test
