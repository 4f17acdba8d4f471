"""/metrics as an operator configures it: off means gone, a token when set, cheap scrapes, and
the worker's task counters exported from every pool process."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import event

from freight.app import create_app
from freight.migrate import upgrade
from freight.settings import Settings
from tests.integration.ops.conftest import FREIGHT
from tests.integration.worker.conftest import Proc, free_port, wait_for


def _app(tmp_path: Path, **values: object) -> TestClient:
    settings = Settings(env="test", data_dir=tmp_path / "d", **values)  # type: ignore[arg-type]
    upgrade(settings)
    return TestClient(create_app(settings))


def test_metrics_disabled_means_no_route(tmp_path: Path) -> None:
    with _app(tmp_path, metrics_enabled=False) as client:
        assert client.get("/metrics").status_code == 404
        assert client.get("/healthz").headers["x-request-id"]  # request ids stay


def test_a_metrics_token_is_required_when_set(tmp_path: Path) -> None:
    token = "m" * 40
    with _app(tmp_path, metrics_token=token) as client:
        refused = client.get("/metrics")
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["www-authenticate"] == "Bearer"
        assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
        ok = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
        assert "freight_http_requests_total" in ok.text


def test_scrapes_do_not_query_the_database_each_time(tmp_path: Path) -> None:
    with _app(tmp_path, metrics_cache_seconds=60) as client:
        statements: list[str] = []
        engine = client.app.state.engine  # type: ignore[attr-defined]
        event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        first = client.get("/metrics")
        assert "freight_jobs" in first.text
        after_first = len(statements)
        assert after_first > 0  # the gauges come from the database …
        for _ in range(5):
            assert "freight_jobs" in client.get("/metrics").text
        assert len(statements) == after_first  # … once per cache period, not per scrape


def test_worker_task_counters_are_exported(
    fresh_pg: str, redis_url: str, base_env: dict[str, str], spawn: Callable[..., Proc]
) -> None:
    port = free_port()
    env = {**base_env, "FREIGHT_DATABASE_URL": fresh_pg, "FREIGHT_REDIS_URL": redis_url,
           "FREIGHT_TASK_QUEUE": f"metrics-{uuid.uuid4().hex[:8]}",
           "FREIGHT_RELAY_INTERVAL_SECONDS": "1"}  # fmt: skip
    env["FREIGHT_WORKER_METRICS_PORT"] = str(port)
    done = subprocess.run([*FREIGHT, "migrate"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    worker = spawn("worker", [*FREIGHT, "worker", "--concurrency", "2"], env)  # prefork: 2 children
    spawn("beat", [*FREIGHT, "beat"], {k: v for k, v in env.items() if "METRICS_PORT" not in k})

    def periodic_ok() -> float:
        try:
            body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
        except httpx.HTTPError:
            return 0.0
        prefix = 'freight_worker_tasks_total{outcome="periodic_ok"} '
        return sum(float(line.removeprefix(prefix)) for line in body.splitlines()
                   if line.startswith(prefix))  # fmt: skip

    wait_for(lambda: periodic_ok() >= 4, 90, "jobs.relay runs counted on the worker's port",
             diagnose=worker.log)  # fmt: skip
