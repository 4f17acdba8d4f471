"""Benchmark: outbound shipments from request to label, through the real deployment.

    .venv/bin/python bench/labels.py [--count 160] [--workers 1,2] [--concurrency 16]
                                     [--rate-per-minute 500] [--latency-ms 250]
                                     [--faults 0.05] [--timeout 600]

For each worker count N, a fresh stack on 127.0.0.1 (all in their own process groups, killed and
the database dropped at the end, also on Ctrl-C or error): a private redis-server (broker), a
fresh PostgreSQL database, the standalone sandbox carrier (`freight sandbox-carrier`, the given
latency on every call, ~faults of calls answered 503 plus up to 1 % of label purchases processed
and then their answer lost), the API (`gunicorn -k uvicorn.workers.UvicornWorker -w 2
freight.asgi:app`), N `freight worker` processes (Celery's thread pool, FREIGHT_LABEL_CONCURRENCY
threads each, so N x concurrency label purchases at once) and `freight beat` (the outbox relay).
The API and the workers share the sandbox payments data dir and reach the carrier through
FREIGHT_SHIPPO_BASE_URL with a live-mode key, and the sandbox enforces Shippo's live per-minute
limits (429 + Retry-After + X-RateLimit-Reset) while the workers share one limiter on the Redis,
FREIGHT_CARRIER_RATE_PER_MINUTE purchases a minute.

Untimed setup over HTTP: a staff token, `count` RRs (half NA, half international) opened,
received and moved to ready_to_ship; then the background queue is left to drain. Timed: 16
client slots each request an outbound shipment (rating is a carrier call inside the request) and,
for international ones, look the RR up as the customer and accept the quote with pm_card_visa;
the clock for a shipment starts when its outbound request is sent and stops when its row is
committed `labeled`. Prints one figure a line: labels/s, p50/p99 request→label seconds, duplicate
labels (sandbox GET /sandbox/labels) and captures (sandbox payments), the carrier's 429s, carrier
calls per label, the workers' peak RSS, and the ratio of labels/s to the target's bound
min(rate limit, N x concurrency / latency).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
FREIGHT = str(ROOT / ".venv/bin/freight")
CLIENT_SLOTS = 16
LATE_404: list[str] = []  # 404s for rows named in an earlier 2xx (retried; reported)

NA = {"name": "Ada", "street1": "1 Infinite Loop", "city": "Cupertino", "state": "CA",
      "postal_code": "95014", "country": "US"}  # fmt: skip
INTL = {"name": "Grace", "street1": "Unter den Linden 1", "city": "Berlin",
        "postal_code": "10117", "country": "DE", "phone": "+49 30 1"}  # fmt: skip
PARCEL = {"length": 12, "width": 9, "height": 4, "distance_unit": "in", "weight": 3,
          "mass_unit": "lb"}  # fmt: skip
CALL = re.compile(r'"(GET|POST|PUT|DELETE) (/[^ ?"]*)[^"]*" (\d{3})')
BENCH_KEY = "shippo_live_bench0000"  # live mode: the sandbox holds it to Shippo's live limits


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, httpx.HTTPError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {what}")


@contextmanager
def process(cmd: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A child in its own process group; the whole group is terminated (then killed) on exit."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield proc
    finally:
        for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=wait)
                if sig == signal.SIGTERM:
                    os.killpg(proc.pid, signal.SIGKILL)  # stragglers left in the group
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue


@contextmanager
def database() -> Iterator[str]:
    """A fresh PostgreSQL database with the schema; dropped on exit."""
    from freight.models import Base

    name = f"freight_bench_labels_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        Base.metadata.create_all(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _engine(url: str) -> Any:
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def staff_token(url: str) -> str:
    from sqlalchemy.orm import sessionmaker

    from freight.auth.service import create_token
    from freight.db import session_scope

    engine = _engine(url)
    try:
        with session_scope(sessionmaker(engine)) as session:
            return create_token(session, role="staff", name="bench")
    finally:
        engine.dispose()


@contextmanager
def stack(tmp: Path, workers: int, args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    """Redis, PostgreSQL, sandbox carrier, API, N-way Celery worker and beat, all torn down."""
    latency_ms, faults = args.latency_ms, args.faults
    redis_port, carrier_port, api_port = free_port(), free_port(), free_port()
    lost = min(0.01, faults / 5)
    spec = f"*:{faults - lost:.4f}:503,transactions@post:{lost:.4f}:lost_response:1"
    base = {k: v for k, v in os.environ.items() if not k.startswith("FREIGHT_")}
    base["PYTHONPATH"] = str(ROOT)
    with ExitStack() as es:
        redis_cmd = [shutil.which("redis-server") or "redis-server", "--port", str(redis_port),
                     "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp)]  # fmt: skip
        es.enter_context(process(redis_cmd, base, tmp / "redis.log"))
        carrier_env = {**base, "FREIGHT_SANDBOX_DB": str(tmp / "carrier.db"),
            "FREIGHT_DATA_DIR": str(tmp / "carrier"), "FREIGHT_LOG_LEVEL": "DEBUG",
            "FREIGHT_SANDBOX_LATENCY_MS": str(latency_ms),
            "FREIGHT_SANDBOX_FAULTS": spec}  # fmt: skip
        carrier_cmd = [FREIGHT, "sandbox-carrier", "--port", str(carrier_port)]
        es.enter_context(process(carrier_cmd, carrier_env, tmp / "carrier.log"))
        url = es.enter_context(database())
        env = {**base, "FREIGHT_ENV": "development", "FREIGHT_DATABASE_URL": url,
            "FREIGHT_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "FREIGHT_DATA_DIR": str(tmp / "data"), "FREIGHT_LOG_LEVEL": "WARNING",
            "FREIGHT_SHIPPO_BASE_URL": f"http://127.0.0.1:{carrier_port}",
            "FREIGHT_CARRIER_TIMEOUT_SECONDS": "5", "FREIGHT_LOOKUP_RATE_PER_MINUTE": "1000000",
            "FREIGHT_SHIPPO_API_KEY": BENCH_KEY, "FREIGHT_WORKER_POOL": "threads",
            "FREIGHT_LABEL_CONCURRENCY": str(args.concurrency),
            "FREIGHT_CARRIER_RATE_PER_MINUTE": str(args.rate_per_minute)}  # fmt: skip
        api_cmd = [sys.executable, "-m", "gunicorn", "freight.asgi:app", "-k",
                   "uvicorn.workers.UvicornWorker", "-w", "2", "-b", f"127.0.0.1:{api_port}",
                   "--log-level", "warning", "--timeout", "120"]  # fmt: skip
        es.enter_context(process(api_cmd, env, tmp / "api.log"))
        pids = [es.enter_context(process([FREIGHT, "worker"], env, tmp / f"worker{i}.log")).pid
                for i in range(workers)]  # fmt: skip
        es.enter_context(process([FREIGHT, "beat"], env, tmp / "beat.log"))
        api, carrier = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{carrier_port}"
        wait_until(lambda: httpx.get(f"{api}/healthz", timeout=1).status_code == 200, 60, "API")
        ready = lambda: httpx.get(f"{carrier}/sandbox/health", timeout=1).status_code == 200  # noqa: E731
        wait_until(ready, 30, "sandbox carrier")
        httpx.post(f"{carrier}/sandbox/behaviour", json={"rate_limits": True}, timeout=5)
        yield {"api": api, "carrier": carrier, "db_url": url, "data_dir": tmp / "data",
               "token": staff_token(url), "carrier_log": tmp / "carrier.log",
               "worker_pids": pids}  # fmt: skip


async def _post(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    """POST, retrying the desk's way on 502/503 (carrier unavailable after its own retries).

    A 404 for a row named in an earlier 2xx is retried too and counted: the session dependency
    commits after the response is sent (FastAPI's default dependency scope), so the next request,
    on the other API process, can arrive before the commit.
    """
    for attempt in range(10):
        response = await client.post(path, json=body, headers=headers)
        if response.status_code < 400:
            return dict(response.json())
        if response.status_code == 404 and attempt < 9:
            LATE_404.append(path)
            await asyncio.sleep(0.1)
            continue
        if response.status_code not in (502, 503) or attempt >= 4:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:300]}")
        await asyncio.sleep(0.5)
    raise AssertionError("unreachable")


async def _prepare(client: httpx.AsyncClient, staff: dict[str, str], i: int) -> str:
    """Open, receive and move one RR to ready_to_ship (untimed)."""
    body = {"serial_number": f"BENCH{i:05d}X", "part_number": "MAX-1000",
            "product_description": "card", "customer": {"name": "Bench", "email": "b@example.com"},
            "return_address": INTL if i % 2 else NA,
            "proof_of_purchase": {"document_type": "invoice", "reference": f"INV-{i}"}}  # fmt: skip
    rr = (await _post(client, "/api/v1/repair-requests", body, staff))["rr_number"]
    seen = {"rr_marked_on_carton": True, "freight_collect": False, "visible_damage": False,
            "serial_number_seen": body["serial_number"]}  # fmt: skip
    await _post(client, f"/api/v1/repair-requests/{rr}/receipt", seen, staff)
    for target in ("in_repair", "ready_to_ship"):
        await _post(client, f"/api/v1/repair-requests/{rr}/status", {"status": target}, staff)
    return str(rr)


async def _ship(
    client: httpx.AsyncClient, staff: dict[str, str], rr: str, intl: bool
) -> tuple[str, float]:
    """Timed: outbound request; international → customer lookup + quote accepted with a card."""
    started = time.time()
    out = await _post(client, f"/api/v1/repair-requests/{rr}/outbound-shipments",
                      {"parcel": PARCEL}, staff)  # fmt: skip
    if out.get("quote"):
        lookup = {"rr_number": rr, "email": "b@example.com"}
        token = (await _post(client, "/api/v1/track/lookup", lookup, {}))["token"]
        who = {"Authorization": f"Bearer {token}"}
        accept = {"payment_method": "pm_card_visa"}
        await _post(client, f"/api/v1/quotes/{out['quote']['id']}/accept", accept, who)
    elif intl:
        raise RuntimeError(f"{rr}: international shipment without a quote")
    return str(out["id"]), started


async def _bounded(coros: list[Any], slots: int) -> list[Any]:
    gate = asyncio.Semaphore(slots)

    async def one(coro: Any) -> Any:
        async with gate:
            return await coro

    return await asyncio.gather(*(one(c) for c in coros))


async def drive(s: dict[str, Any], count: int) -> tuple[dict[str, float], float]:
    staff = {"Authorization": f"Bearer {s['token']}"}
    limits = httpx.Limits(max_connections=CLIENT_SLOTS)
    async with httpx.AsyncClient(base_url=s["api"], timeout=120, limits=limits) as client:
        rrs = await _bounded([_prepare(client, staff, i) for i in range(count)], 8)
        await asyncio.to_thread(_drained, s["db_url"], 300)
        t0 = time.time()
        pairs = await _bounded(
            [_ship(client, staff, rr, bool(i % 2)) for i, rr in enumerate(rrs)], CLIENT_SLOTS
        )
    return dict(pairs), t0


def _drained(url: str, timeout: float) -> None:
    """Wait for the setup's background jobs (notifications) to finish."""
    engine = _engine(url)
    sql = text("SELECT count(*) FROM jobs WHERE status NOT IN ('succeeded', 'failed')")
    try:
        wait_until(lambda: _scalar(engine, sql) == 0, timeout, "setup jobs to drain")
    finally:
        engine.dispose()


def _scalar(engine: Any, sql: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sql).scalar_one())


def wait_labeled(url: str, count: int, timeout: float) -> dict[str, float]:
    """Poll until every shipment is labeled (or failed, or the timeout); labeled commit times."""
    engine = _engine(url)
    done_sql = text("SELECT count(*) FROM shipments WHERE state IN ('labeled', 'failed')")
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _scalar(engine, done_sql) < count:
            time.sleep(0.5)
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id, updated_at FROM shipments WHERE state = 'labeled'")
            )
            return {sid: at.timestamp() for sid, at in rows}
    finally:
        engine.dispose()


def duplicates(s: dict[str, Any]) -> tuple[int, int]:
    """(extra labels per metadata at the carrier, extra captures per payment intent)."""
    from freight.payments.sandbox import SandboxPayments

    labels = httpx.get(f"{s['carrier']}/sandbox/labels", timeout=30).json()
    extra_labels = sum(n - 1 for n in labels["by_metadata"].values() if n > 1)
    ops = SandboxPayments(s["data_dir"] / "sandbox-payments.db").operations("capture")
    extra_captures = sum(n - 1 for n in Counter(o["intent"] for o in ops).values() if n > 1)
    return extra_labels, extra_captures


def carrier_calls(log: Path) -> tuple[Counter[str], int]:
    """Carrier API calls by 'METHOD /first-segment' from the sandbox's access log (429s not
    counted as calls), and how many the carrier answered 429."""
    calls: Counter[str] = Counter()
    throttled = 0
    for match in CALL.finditer(log.read_text(errors="replace")):
        path = match.group(2)
        if path.startswith("/sandbox/"):
            continue
        if match.group(3) == "429":
            throttled += 1
        else:
            calls[f"{match.group(1)} /{path.strip('/').split('/')[0]}"] += 1
    return calls, throttled


def group_rss_mb(pgid: int) -> float:
    """Resident memory of every process in a process group (the worker and any children)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return total / 1024


class RssSampler:
    """The peak RSS of each worker process group, sampled twice a second in a thread."""

    def __init__(self, pgids: list[int]) -> None:
        import threading

        self.pgids, self.peak = pgids, dict.fromkeys(pgids, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            for pgid in self.pgids:
                self.peak[pgid] = max(self.peak[pgid], group_rss_mb(pgid))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return max(self.peak.values(), default=0.0)


def run(args: argparse.Namespace, workers: int) -> dict[str, Any]:
    LATE_404.clear()
    with tempfile.TemporaryDirectory(prefix="bench-labels-") as tmpdir:
        tmp = Path(tmpdir)
        try:
            with stack(tmp, workers, args) as s:
                sampler = RssSampler(s["worker_pids"])
                try:
                    started, t0 = asyncio.run(drive(s, args.count))
                    done = wait_labeled(s["db_url"], args.count, args.timeout)
                finally:
                    rss = sampler.stop()
                dup_labels, dup_captures = duplicates(s)
                calls, throttled = carrier_calls(s["carrier_log"])
        except BaseException:
            for name in ("api", "worker0", "carrier", "beat"):
                tail = (tmp / f"{name}.log").read_text(errors="replace")[-1500:]
                print(f"--- {name}.log (tail)\n{tail}", file=sys.stderr)
            raise
    waits = sorted(done[sid] - started[sid] for sid in done if sid in started)
    return {"workers": workers, "count": args.count, "labeled": len(done), "waits": waits,
            "elapsed": max(done.values(), default=t0) - t0, "dup_labels": dup_labels,
            "dup_captures": dup_captures, "calls": calls, "throttled": throttled,
            "rss_mb": rss, "concurrency": args.concurrency,
            "rate_per_minute": args.rate_per_minute}  # fmt: skip


def report(r: dict[str, Any], latency_s: float) -> None:
    n, waits, c = r["workers"], r["waits"] or [0.0], r["concurrency"]
    rate = r["labeled"] / max(1e-9, r["elapsed"])
    total = sum(r["calls"].values())
    # The API makes one rating call per outbound request; everything else is the worker's.
    per_label = (total - r["count"]) / max(1, r["labeled"])
    bound = n * c / (per_label * latency_s) if per_label > 0 else float("nan")
    target = min(r["rate_per_minute"] / 60, n * c / latency_s)
    p99 = waits[min(len(waits) - 1, round(0.99 * (len(waits) - 1)))]
    calls = ", ".join(f"{k} {v}" for k, v in sorted(r["calls"].items()))
    print(f"--- workers={n} (Celery threads, concurrency {c} each) shipments={r['count']} "
          f"labeled={r['labeled']} in {r['elapsed']:.1f} s")  # fmt: skip
    print(f"carrier calls: {total} ({calls})")
    print(f"404s for rows named in an earlier 2xx (retried, see _post): {len(LATE_404)}")
    print(f"labels_per_s={rate:.2f}")
    print(f"p50_request_to_label_s={statistics.median(waits):.2f}")
    print(f"p99_request_to_label_s={p99:.2f}")
    print(f"duplicate_labels={r['dup_labels']}")
    print(f"duplicate_captures={r['dup_captures']}")
    print(f"carrier_429s={r['throttled']}")
    print(f"worker_carrier_calls_per_label={per_label:.2f}")
    print(f"worker_peak_rss_mb={r['rss_mb']:.0f}  (per worker process, {c} in flight)")
    print(f"busy_bound_labels_per_s={bound:.2f}  (N x concurrency / (calls per label x latency))")
    print(f"target_bound_labels_per_s={target:.2f}  (min(rate limit, N x concurrency / latency))")
    print(f"ratio_to_busy_bound={rate / bound:.3f}")
    print(f"ratio_to_target_bound={rate / target:.3f}")


def _terminate(*_: Any) -> None:
    raise KeyboardInterrupt  # run every finally: process groups killed, database dropped


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=160)
    parser.add_argument("--workers", default="1,2", help="worker processes, e.g. 1,2")
    parser.add_argument("--concurrency", type=int, default=16, help="threads per worker")
    parser.add_argument("--rate-per-minute", type=int, default=500)
    parser.add_argument("--latency-ms", type=int, default=250)
    parser.add_argument("--faults", type=float, default=0.05)
    parser.add_argument("--timeout", type=float, default=600.0, help="per worker count, seconds")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        print("redis-server is needed (apt-get install redis-server)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _terminate)
    print(f"setup: gunicorn -k uvicorn.workers.UvicornWorker -w 2; PostgreSQL + private Redis; "
          f"freight worker (threads x {args.concurrency}, shared limit "
          f"{args.rate_per_minute}/min); sandbox carrier latency_ms={args.latency_ms} "
          f"faults={args.faults}; {CLIENT_SLOTS} client slots; 2-core machine, shared "
          "(other benchmarks, e.g. bench/webhooks.py, may run at the same time)")  # fmt: skip
    for n in (int(w) for w in args.workers.split(",")):
        report(run(args, n), args.latency_ms / 1000)
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
