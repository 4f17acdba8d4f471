"""Read benchmark (not a test): customer tracking and staff RR reads against a bare route.

Serves a bare FastAPI route returning {} and the product the same way (gunicorn, UvicornWorker,
-w 1, the same flags), on SQLite and on PostgreSQL, with an RR that has inbound tracking and 4
carrier events. Loads each with wrk (-t1 -c20, keep-alive, a few seconds) and prints one figure a
line ending with its ratio to the bare route of the same run, then the API process's RSS after
its runs. Needs `wrk` (apt-get install wrk) and PostgreSQL on 127.0.0.1 (BENCH_POSTGRES_URL).

    .venv/bin/python bench/reads.py [--duration 8] [--connections 20] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")

bare = FastAPI()


@bare.get("/bare")
async def bare_endpoint() -> dict[str, str]:
    return {}


def server_cmd(app: str, port: int) -> list[str]:
    """The one server setup every run uses (the product's, with -w 1)."""
    return [sys.executable, "-m", "gunicorn", app, "-k", "uvicorn.workers.UvicornWorker",
            "-w", "1", "-b", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "120",
            "--keep-alive", "5"]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def process(cmd: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A child in its own process group; the group is terminated (then killed) on exit."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield proc
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
                proc.wait(timeout=10)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue


def wait_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {url}")


def worker_pid(master: int) -> int:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True, check=False)
    return int(out.stdout.split()[0])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


WRK_LUA = """
wrk.headers["Authorization"] = os.getenv("BENCH_AUTH")
"""


def wrk(url: str, seconds: int, connections: int, auth: str | None, tmp: Path) -> dict[str, float]:
    """req/s, p50 and p99 (ms), and the non-2xx count of one wrk run."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
    env = dict(os.environ)
    if auth:
        script = tmp / "auth.lua"
        script.write_text(WRK_LUA)
        cmd += ["-s", str(script)]
        env["BENCH_AUTH"] = auth
    out = subprocess.run([*cmd, url], capture_output=True, text=True, env=env, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": rate, "p50": _pct(out, "50"), "p99": _pct(out, "99"),
            "errors": float(bad.group(1)) if bad else 0.0}  # fmt: skip


def _pct(out: str, which: str) -> float:
    m = re.search(rf"^\s+{which}(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    if m is None:
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


RR_BODY: dict[str, Any] = {
    "kind": "repair", "serial_number": "SNBENCH1X", "part_number": "MAX-1000",
    "product_description": "MAXCS phone system card",
    "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+1 555 0100"},
    "return_address": {"name": "Ada Lovelace", "street1": "1 Infinite Loop", "city": "Cupertino",
                       "state": "CA", "postal_code": "95014", "country": "US"},
    "proof_of_purchase": {"document_type": "invoice", "reference": "INV-42"},
}  # fmt: skip
STEPS = [
    ("PRE_TRANSIT", "information_received", "Shipping label created"),
    ("TRANSIT", "package_accepted", "Accepted at origin facility"),
    ("TRANSIT", "package_departed", "Departed FedEx hub"),
    ("TRANSIT", "out_for_delivery", "On FedEx vehicle for delivery"),
]


def seed(url: str, tmp: Path) -> dict[str, str]:
    """Schema, a staff token, an RR with inbound tracking and 4 events, a customer token."""
    from fastapi.testclient import TestClient
    from sqlalchemy.orm import sessionmaker

    from carriers.webhooks import parse_webhook
    from freight.app import create_app
    from freight.auth.service import create_token
    from freight.db import engine_for, session_scope
    from freight.jobs.registry import JobContext
    from freight.jobs.service import enqueue
    from freight.models import Base
    from freight.ports import carrier_port
    from freight.settings import Settings
    from freight.tracking.service import apply_tracking_update

    settings = Settings(database_url=url, data_dir=tmp / "seed", env="test")
    engine = engine_for(settings.db_url)
    Base.metadata.create_all(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with session_scope(factory) as s:
        staff = {"Authorization": f"Bearer {create_token(s, role='staff', name='bench')}"}
    with TestClient(create_app(settings)) as client:
        rr = client.post("/api/v1/repair-requests", json=RR_BODY, headers=staff).json()
        number = rr["rr_number"]
        client.post(
            f"/api/v1/repair-requests/{number}/inbound-shipments",
            json={"carrier": "fedex", "tracking_number": "794600000001"}, headers=staff,
        ).raise_for_status()  # fmt: skip
        start = datetime.now(UTC) - timedelta(days=1)
        history = [
            {"status": st, "status_details": txt,
             "status_date": (start + timedelta(hours=4 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "substatus": {"code": code, "text": txt, "action_required": False},
             "location": {"city": "Memphis", "state": "TN", "zip": "38118", "country": "US"}}
            for i, (st, code, txt) in enumerate(STEPS)
        ]  # fmt: skip
        data = {"carrier": "fedex", "tracking_number": "794600000001",
                "tracking_status": history[-1], "tracking_history": history, "metadata": "",
                "test": True}  # fmt: skip
        info = parse_webhook({"event": "track_updated", "test": True, "data": data}).tracking
        ctx = JobContext(settings=settings, now=datetime.now(UTC), carrier=carrier_port(settings),
                         payments=None, enqueue=enqueue)  # fmt: skip
        with session_scope(factory) as s:
            apply_tracking_update(s, ctx, info, "webhook")  # type: ignore[arg-type]
        token = client.post("/api/v1/track/lookup", json={"rr_number": number,
                            "email": "ada@example.com"}).json()["token"]  # fmt: skip
        track = client.get(f"/api/v1/track/{number}", headers={"Authorization": f"Bearer {token}"})
        events = sum(len(s.get("events", [])) for s in track.json()["inbound"])
        if events != len(STEPS):
            raise RuntimeError(f"seeded RR shows {events} events, expected {len(STEPS)}")
    engine.dispose()
    return {"rr": number, "customer": f"Bearer {token}", "staff": staff["Authorization"]}


@contextmanager
def backend(name: str, tmp: Path) -> Iterator[str]:
    if name == "sqlite":
        yield f"sqlite:///{tmp / 'bench.db'}"
        return
    from sqlalchemy import create_engine, text

    db = f"freight_bench_reads_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{db}"
    finally:
        from freight.db import engine_for

        for url in list(_engines):
            engine_for(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


_engines: list[str] = []


def line(label: str, r: dict[str, float], base: float) -> None:
    errors = f", {int(r['errors'])} non-2xx" if r["errors"] else ""
    print(f"{label}: {r['rps']:,.0f} req/s, p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms"
          f"{errors}, {r['rps'] / base:.2f}x bare", flush=True)  # fmt: skip


def run(args: argparse.Namespace, tmp: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FREIGHT_")}
    env["PYTHONPATH"] = str(ROOT)
    port = free_port()
    with process(server_cmd("bench.reads:bare", port), env, tmp / "bare.log"):
        wait_up(f"http://127.0.0.1:{port}/bare")
        base = wrk(f"http://127.0.0.1:{port}/bare", args.duration, args.connections, None, tmp)
    print(f"bare FastAPI route: {base['rps']:,.0f} req/s, p50 {base['p50']:.1f} ms, "
          f"p99 {base['p99']:.1f} ms, 1.00x bare", flush=True)  # fmt: skip
    for name in args.backends.split(","):
        with ExitStack() as es:
            url = es.enter_context(backend(name, tmp))
            _engines.append(url)
            seeded = seed(url, tmp)
            port = free_port()
            product = {**env, "FREIGHT_ENV": "development", "FREIGHT_DATABASE_URL": url,
                       "FREIGHT_DATA_DIR": str(tmp / f"data-{name}"),
                       "FREIGHT_LOG_LEVEL": "WARNING"}  # fmt: skip
            proc = es.enter_context(
                process(server_cmd("freight.asgi:app", port), product, tmp / f"{name}.log")
            )
            api = f"http://127.0.0.1:{port}"
            wait_up(f"{api}/healthz")
            rr = seeded["rr"]
            runs = [
                ("GET /healthz", f"{api}/healthz", None),
                (f"GET /api/v1/track/{{rr}}, {name}", f"{api}/api/v1/track/{rr}",
                 seeded["customer"]),
                (f"GET /api/v1/repair-requests/{{rr}}, {name}",
                 f"{api}/api/v1/repair-requests/{rr}", seeded["staff"]),
            ]  # fmt: skip
            for label, target, auth in runs:
                if name != args.backends.split(",")[0] and label == "GET /healthz":
                    continue
                line(label, wrk(target, args.duration, args.connections, auth, tmp), base["rps"])
            print(f"API RSS after the {name} runs: {rss_mb(worker_pid(proc.pid)):.0f} MB",
                  flush=True)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    print(
        f"wrk -t1 -c{args.connections} -d{args.duration}s, keep-alive; "
        "gunicorn -k uvicorn.workers.UvicornWorker -w 1 for every server",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="bench-reads-") as tmp:
        run(args, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
