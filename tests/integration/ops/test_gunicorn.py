"""The API as README's production command runs it: gunicorn with freight.gunicorn_conf, 2 workers.

What an operator sees: JSON lines (INFO included) on stderr, a JSON access log with request ids
on stdout, no secret in any of it; the same /metrics totals from either worker; X-Forwarded-For
believed only from FREIGHT_TRUSTED_PROXIES.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.ops.conftest import FREIGHT
from tests.integration.worker.conftest import Proc, free_port, wait_for

WEBHOOK_TOKEN = "hook-7f3c9a1e5b2d4f6a8c0e1b3d5f7a9c2e"
SECRET_KEY = "key-0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"
BEARER = "rrf_not_a_real_token_but_secret_4b2e9d"
COOKIE = "session-cookie-value-6c1f0e8d2b4a"
LOOKUP = {"rr_number": "RR-2026-000001", "email": "ada@example.com"}


class Api:
    def __init__(self, proc: Proc, port: int, out: Path, err: Path) -> None:
        self.proc, self.url, self.out, self.err = proc, f"http://127.0.0.1:{port}", out, err

    def lines(self, which: Path) -> list[str]:
        return which.read_text(errors="replace").splitlines() if which.exists() else []


@pytest.fixture
def gunicorn(base_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., Api]]:
    started: list[Proc] = []

    def start(**env: str) -> Api:
        full = {
            **base_env,
            "FREIGHT_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
            "FREIGHT_SECRET_KEY": SECRET_KEY,
        }
        full.update({"FREIGHT_LOOKUP_RATE_PER_MINUTE": "3", **env})
        done = subprocess.run([*FREIGHT, "migrate"], env=full, capture_output=True, text=True,
                              timeout=120, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        port, n = free_port(), len(started)
        out, err = tmp_path / f"api{n}.out", tmp_path / f"api{n}.err"
        cmd = [sys.executable, "-m", "gunicorn", "-c", "python:freight.gunicorn_conf", "-w", "2",
               "-b", f"127.0.0.1:{port}", "freight.asgi:app"]  # fmt: skip
        proc = Proc(f"api{n}", cmd, full, tmp_path / f"api{n}.log")
        with out.open("wb") as o, err.open("wb") as e:
            proc.popen = subprocess.Popen(cmd, env=full, stdout=o, stderr=e,
                                          start_new_session=True)  # fmt: skip
        started.append(proc)
        api = Api(proc, port, out, err)
        wait_for(lambda: _up(api.url) and _count(api, "Application startup complete") >= 2,
                 90, "gunicorn's two workers", diagnose=lambda: err.read_text())  # fmt: skip
        return api

    yield start
    for proc in started:
        proc.stop(timeout=30)


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _count(api: Api, text: str) -> int:
    return sum(text in line for line in api.lines(api.err))


def _requests_total(body: str, route: str) -> float:
    prefix = f'freight_http_requests_total{{method="GET",route="{route}",status="200"}} '
    return sum(
        float(line.removeprefix(prefix)) for line in body.splitlines() if line.startswith(prefix)
    )


def test_logs_are_json_with_request_ids_and_no_secret(gunicorn: Callable[..., Api]) -> None:
    api = gunicorn()
    with httpx.Client(base_url=api.url, timeout=10) as http:
        hook = http.post(f"/webhooks/shippo?token={WEBHOOK_TOKEN}&x=1", content=b"{not json")
        assert hook.status_code == 400
        http.post(
            "/webhooks/shippo", content=b"{}", headers={"X-Freight-Webhook-Token": WEBHOOK_TOKEN}
        )
        auth = {"Authorization": f"Bearer {BEARER}", "Cookie": f"freight_session={COOKIE}"}
        http.get("/api/v1/repair-requests", headers=auth)
        mine = http.get("/healthz", headers={"X-Request-ID": "req-from-the-proxy-42"})
        assert mine.headers["x-request-id"] == "req-from-the-proxy-42"

    def access_lines() -> list[dict[str, object]]:
        return [json.loads(line) for line in api.lines(api.out)]

    wait_for(lambda: len(access_lines()) >= 4, 20, "the access log lines")
    wait_for(  # the probes' lines can come first: wait for ours too
        lambda: any(a.get("request_id") == "req-from-the-proxy-42" for a in access_lines()),
        20, "the proxied request's access line",
    )  # fmt: skip
    access = access_lines()
    hook_line = next(a for a in access if str(a["path"]).startswith("/webhooks/shippo?"))
    assert hook_line["path"] == "/webhooks/shippo?token=***&x=1"
    assert hook_line["status"] == 400
    assert hook_line["request_id"] == hook.headers["x-request-id"]
    assert {"method", "status", "duration_ms", "client", "request_id"} <= set(access[0])
    assert any(a["request_id"] == "req-from-the-proxy-42" for a in access)

    errors = [json.loads(line) for line in api.lines(api.err)]  # every stderr line is JSON
    assert any(e["logger"] == "uvicorn.error" and e["level"] == "info" for e in errors)
    assert any(
        e["logger"] == "gunicorn.error" and "Booting worker" in str(e["event"]) for e in errors
    )

    api.proc.stop(timeout=30)  # the shutdown lines too
    everything = api.out.read_text() + api.err.read_text()
    for secret in (WEBHOOK_TOKEN, SECRET_KEY, BEARER, COOKIE):
        assert secret not in everything


def test_every_worker_reports_the_same_totals(gunicorn: Callable[..., Api]) -> None:
    api = gunicorn()
    # The readiness probes' own /healthz hits are counted just after their answers: wait until
    # two scrapes agree before taking the starting figure.
    seen = [_healthz_total(api)]

    def settled() -> bool:
        seen.append(_healthz_total(api))
        return seen[-1] == seen[-2]

    wait_for(settled, 30, "a settled count")
    before = seen[-1]
    for _ in range(20):  # a new connection each time: both workers answer some
        assert httpx.get(f"{api.url}/healthz", timeout=10).status_code == 200
    totals = set()
    for _ in range(40):
        totals.add(_requests_total(httpx.get(f"{api.url}/metrics", timeout=10).text, "/healthz"))
        if len(_scrape_pids(api)) == 2:
            break
    assert len(_scrape_pids(api)) == 2, "both workers answered a scrape"
    assert totals == {before + 20}


def _healthz_total(api: Api) -> float:
    return _requests_total(httpx.get(f"{api.url}/metrics", timeout=10).text, "/healthz")


def _scrape_pids(api: Api) -> set[object]:
    return {json.loads(line)["pid"] for line in api.lines(api.out) if '"path": "/metrics"' in line}


@pytest.fixture(params=["sqlite", "redis"])
def shared_store(request: pytest.FixtureRequest) -> dict[str, str]:
    """Where gunicorn's two workers keep the lookup budget: the data dir's SQLite file (the
    embedded default) or Redis; a namespace of this run's own, so no other run's counts mix in."""
    env = {"FREIGHT_RATELIMIT_NAMESPACE": f"rrf-test-{uuid.uuid4().hex[:8]}"}
    if request.param == "redis":
        redis_url = request.getfixturevalue("redis_url")
        env.update(FREIGHT_REDIS_URL=redis_url, FREIGHT_TASK_QUEUE=f"ops-{uuid.uuid4().hex[:8]}")
    return env


def _lookups(api: Api, forwarded: list[str]) -> list[int]:
    # A new connection each time: either worker may answer, both spend the same budget.
    return [
        httpx.post(f"{api.url}/api/v1/track/lookup", json=LOOKUP, timeout=10,
                   headers={"X-Forwarded-For": value}).status_code
        for value in forwarded
    ]  # fmt: skip


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(
    gunicorn: Callable[..., Api], shared_store: dict[str, str]
) -> None:
    direct = gunicorn(
        **shared_store
    )  # FREIGHT_TRUSTED_PROXIES unset: a client cannot pick its bucket
    codes = _lookups(direct, [f"203.0.113.{i}" for i in range(12)])
    assert codes == [404] * 3 + [429] * 9  # 3 a minute, across both workers, rotating or not

    proxied = gunicorn(
        FREIGHT_TRUSTED_PROXIES="127.0.0.0/8",
        **{
            **shared_store,
            "FREIGHT_RATELIMIT_NAMESPACE": shared_store["FREIGHT_RATELIMIT_NAMESPACE"] + "p",
        },
    )
    codes = _lookups(proxied, [f"198.51.100.{i}" for i in range(4)])
    assert codes == [404, 404, 404, 404]  # four customers behind the proxy, four buckets
    # A client's own X-Forwarded-For value is left of what the proxy appended: not believed.
    spoofed = _lookups(proxied, [f"10.{i}.0.1, 192.0.2.7" for i in range(6)])
    assert spoofed == [404, 404, 404, 429, 429, 429]
    wait_for(lambda: any('"client": "192.0.2.7"' in line for line in proxied.lines(proxied.out)),
             20, "the access log to name the real client")  # fmt: skip


def test_gunicorn_refuses_unusable_settings_before_forking(base_env: dict[str, str]) -> None:
    env = {**base_env, "FREIGHT_ENV": "production", "FREIGHT_SECRET_KEY": "change-me-please"}
    cmd = [sys.executable, "-m", "gunicorn", "-c", "python:freight.gunicorn_conf",
           "-b", f"127.0.0.1:{free_port()}", "freight.asgi:app"]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "FREIGHT_SECRET_KEY must be at least 32 characters" in done.stderr
    assert "Booting worker" not in done.stderr
