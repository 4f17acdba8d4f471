"""`freight migrate` on first boot: it waits for the database, and concurrent runs all succeed."""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from tests.integration.ops.conftest import FREIGHT
from tests.integration.worker.conftest import Proc, free_port, wait_for


def _head() -> str:
    from alembic.script import ScriptDirectory

    from freight.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def _three_at_once(env: dict[str, str]) -> list[subprocess.CompletedProcess[str]]:
    procs = [
        subprocess.Popen(
            [*FREIGHT, "migrate"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(3)
    ]
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done


def _version(url: str) -> list[str]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]
    finally:
        engine.dispose()


def test_three_concurrent_migrations_on_a_fresh_postgresql_database(
    fresh_pg: str, base_env: dict[str, str]
) -> None:
    results = _three_at_once({**base_env, "FREIGHT_DATABASE_URL": fresh_pg})
    for result in results:
        assert result.returncode == 0, result.stderr
        assert "database at head" in result.stdout
    assert _version(fresh_pg) == [_head()]
    engine = create_engine(fresh_pg.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        assert "repair_requests" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_three_concurrent_migrations_on_a_fresh_sqlite_file(
    base_env: dict[str, str], tmp_path: Path
) -> None:
    for result in _three_at_once(base_env):
        assert result.returncode == 0, result.stderr
    assert _version(f"sqlite:///{tmp_path / 'data' / 'freight.db'}") == [_head()]


def _forward(listener: socket.socket, target: int, stop: threading.Event) -> None:
    """A TCP relay to PostgreSQL: the database 'comes up' when this starts accepting."""

    def pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    listener.settimeout(0.2)
    while not stop.is_set():
        try:
            client, _ = listener.accept()
        except TimeoutError:
            continue
        upstream = socket.create_connection(("127.0.0.1", target))
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=pipe, args=(a, b), daemon=True).start()


def test_migrate_waits_for_a_database_that_is_still_starting(
    fresh_pg: str, base_env: dict[str, str], spawn: Callable[..., Proc]
) -> None:
    port = free_port()
    url = fresh_pg.replace("127.0.0.1:5432", f"127.0.0.1:{port}")
    proc = spawn("migrate", [*FREIGHT, "migrate"], {**base_env, "FREIGHT_DATABASE_URL": url})
    # nothing listens yet: connections are refused, as during PostgreSQL's init
    wait_for(lambda: "db.connect.retry" in proc.log(), 60, "a refused attempt", diagnose=proc.log)
    assert proc.popen is not None
    assert proc.popen.poll() is None, proc.log()
    listener = socket.create_server(("127.0.0.1", port))
    stop = threading.Event()
    relay = threading.Thread(target=_forward, args=(listener, 5432, stop), daemon=True)
    relay.start()
    try:
        assert proc.popen.wait(timeout=120) == 0, proc.log()
    finally:
        stop.set()
        relay.join(timeout=5)
        listener.close()
    assert "database at head" in proc.log()
    assert _version(fresh_pg) == [_head()]


def test_migrate_gives_up_with_a_clear_error(base_env: dict[str, str]) -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/nothing"
    env = {**base_env, "FREIGHT_DATABASE_URL": url, "FREIGHT_DB_CONNECT_TIMEOUT_SECONDS": "2"}
    done = subprocess.run(
        [*FREIGHT, "migrate"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert "did not accept a connection within 2 s" in done.stderr
    assert "Traceback" not in done.stderr
