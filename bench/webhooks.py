"""Webhook ingest benchmark (not a test): sustained POST /webhooks/shippo on PostgreSQL + Redis.

Serves the product and a bare FastAPI endpoint returning {} the same way (gunicorn, UvicornWorker,
-w 1 and -w 2), loads each with wrk (unique event per request, keep-alive, 10 s), checks that every
202 is a committed row, then holds 500 events/s against 2 processes (an open-loop asyncio client on
keep-alive connections) for the latency figures. Needs `wrk` (apt-get install wrk), redis-server,
and PostgreSQL on 127.0.0.1.

    .venv/bin/python bench/webhooks.py [--duration 10] [--connections 32]

Prints one figure per line, ending with the ratio to the bare endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
TOKEN = "bench-token"  # noqa: S105

bare = FastAPI()


@bare.post("/webhooks/shippo")
async def bare_endpoint() -> dict[str, str]:
    return {}


WRK_SCRIPT = r"""
local counter = 0
threads = 0
init = function(args) run = args[1] end
setup = function(thread) thread:set("tid", threads); threads = threads + 1 end
request = function()
  counter = counter + 1
  local body = string.format('{"event":"track_updated","test":true,"data":{"carrier":"shippo",' ..
    '"tracking_number":"B%s_%s_%d","tracking_status":{"status":"TRANSIT",' ..
    '"status_date":"2026-11-03T10:00:00Z","status_details":"In transit"},"tracking_history":[]}}',
    run, tid, counter)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %f %f %f %d %d\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def process(cmd: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@contextmanager
def gunicorn(target: str, workers: int, env: dict[str, str], tmp: Path) -> Iterator[str]:
    port = free_port()
    cmd = [
        sys.executable, "-m", "gunicorn", target, "-k", "uvicorn.workers.UvicornWorker",
        "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
        "--backlog", "2048",
    ]  # fmt: skip
    with process(cmd, env, tmp / f"{target.replace(':', '_')}-{workers}.log"):
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/healthz" if target.startswith("freight") else f"{base}/docs")
        yield base


def wrk(url: str, duration: int, connections: int, script: Path) -> dict[str, float]:
    run = uuid.uuid4().hex[:8]
    cmd = [
        "wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", str(script),
        url, "--", run,
    ]  # fmt: skip
    out = subprocess.run(
        cmd, capture_output=True, text=True, check=True, timeout=duration + 60
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    n, secs, p50, p99, bad_status, sock_errors = line.split()[1:]
    return {
        "requests": float(n), "rps": float(n) / float(secs),
        "p50_ms": float(p50), "p99_ms": float(p99),
        "non_2xx": float(bad_status), "socket_errors": float(sock_errors),
    }  # fmt: skip


async def _post(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, target: str, body: bytes
) -> int:
    head = (
        f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    writer.write(head.encode() + body)
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def fixed_rate(url: str, rate: int, seconds: int, connections: int = 32) -> list[float]:
    """Send `rate` unique events per second for `seconds` (open loop, keep-alive connections);
    the latency of each in ms, counted from when it was due, so a late client shows too."""
    parsed = httpx.URL(url)
    target = f"{parsed.raw_path.decode()}"
    run = uuid.uuid4().hex[:8]
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(await asyncio.open_connection(parsed.host, parsed.port))
    latencies: list[float] = []

    async def one(i: int, due: float) -> None:
        body = (
            '{"event":"track_updated","test":true,"data":{"carrier":"shippo","tracking_number":"R'
            + f'{run}_{i}","tracking_status":{{"status":"TRANSIT",'
            + '"status_date":"2026-11-03T10:00:00Z"}'
            + ',"tracking_history":[]}}'
        ).encode()
        conn = await idle.get()
        status = await _post(*conn, target, body)
        idle.put_nowait(conn)
        latencies.append((time.perf_counter() - due) * 1000)
        if status != 202:
            raise RuntimeError(f"unexpected {status}")

    start, tasks = time.perf_counter(), []
    for i in range(rate * seconds):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    while not idle.empty():
        idle.get_nowait()[1].close()
    return latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


@contextmanager
def services(tmp: Path) -> Iterator[dict[str, str]]:
    """A private Redis and a fresh PostgreSQL database; yields the service environment."""
    from freight.models import Base

    redis_port = free_port()
    redis_cmd = [
        shutil.which("redis-server") or "redis-server",
        "--port",
        str(redis_port),
        "--save",
        "",
        "--dir",
        str(tmp),
    ]
    name = f"freight_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    Base.metadata.create_all(engine)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FREIGHT_")}
    env.update({
        "PYTHONPATH": str(ROOT), "FREIGHT_ENV": "development", "FREIGHT_DATABASE_URL": url,
        "FREIGHT_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "FREIGHT_WEBHOOK_TOKEN": TOKEN,
        "FREIGHT_DATA_DIR": str(tmp / "data"), "FREIGHT_LOG_LEVEL": "WARNING",
    })  # fmt: skip
    try:
        with process(redis_cmd, env, tmp / "redis.log"):
            time.sleep(0.5)
            env["BENCH_DB_URL"] = url
            yield env
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def stored_events(url: str) -> int:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        count = int(conn.execute(text("SELECT count(*) FROM webhook_events")).scalar_one())
    engine.dispose()
    return count


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rate", type=int, default=500)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="freight-bench-") as tmpdir:
        tmp = Path(tmpdir)
        script = tmp / "webhook.lua"
        script.write_text(WRK_SCRIPT)
        with services(tmp) as env:
            results = run_all(env, tmp, script, args)
    report(results, args)
    return 0


def run_all(
    env: dict[str, str], tmp: Path, script: Path, args: argparse.Namespace
) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    accepted_total = 0
    for workers in (1, 2):
        with gunicorn("bench.webhooks:bare", workers, env, tmp) as base:
            wrk(f"{base}/webhooks/shippo", 2, args.connections, script)  # warm-up
            results[f"bare_w{workers}"] = wrk(
                f"{base}/webhooks/shippo", args.duration, args.connections, script
            )
        with gunicorn("freight.asgi:app", workers, env, tmp) as base:
            url = f"{base}/webhooks/shippo?token={TOKEN}"
            warm = wrk(url, 2, args.connections, script)
            result = wrk(url, args.duration, args.connections, script)
            accepted_total += int(
                warm["requests"] - warm["non_2xx"] + result["requests"] - result["non_2xx"]
            )
            results[f"app_w{workers}"] = result
            if workers == 2:
                lat = asyncio.run(fixed_rate(url, args.rate, args.duration))
                accepted_total += len(lat)
                results["fixed"] = {
                    "p50_ms": statistics.median(lat),
                    "p99_ms": percentile(lat, 99),
                    "count": len(lat),
                }
    results["durable"] = {"accepted": accepted_total, "stored": stored_events(env["BENCH_DB_URL"])}
    return results


def report(r: dict[str, dict[str, float]], args: argparse.Namespace) -> None:
    def ms(x: dict[str, float]) -> str:
        return f"p50 {x['p50_ms']:.1f} ms, p99 {x['p99_ms']:.1f} ms"

    print(
        "setup: gunicorn -k uvicorn.workers.UvicornWorker; "
        f"wrk -t2 -c{args.connections} -d{args.duration}s keep-alive; PostgreSQL + Redis"
    )
    for w in (1, 2):
        b, a = r[f"bare_w{w}"], r[f"app_w{w}"]
        print(f"bare -w {w}: {b['rps']:.0f} req/s ({ms(b)})")
        errors = f"non-2xx {a['non_2xx']:.0f}, socket errors {a['socket_errors']:.0f}"
        print(f"webhooks -w {w}: {a['rps']:.0f} events/s accepted ({ms(a)}, {errors})")
    f = r["fixed"]
    print(f"webhooks -w 2 at {args.rate} events/s: {ms(f)} ({f['count']:.0f} events)")
    durable = r["durable"]
    print(f"durable: {durable['stored']:.0f} rows stored for {durable['accepted']:.0f} 2xx answers")
    print(f"ratio -w 1: {r['app_w1']['rps'] / r['bare_w1']['rps']:.2f}")
    print(f"ratio -w 2: {r['app_w2']['rps'] / r['bare_w2']['rps']:.2f}")


if __name__ == "__main__":
    sys.exit(main())
