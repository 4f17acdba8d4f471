"""Webhook processing benchmark: a burst of carrier events, from first delivery to last applied.

    .venv/bin/python bench/apply.py [--events 4000] [--shipments 200] [--workers 2]
                                    [--pool threads] [--concurrency 32]

A private redis-server and a fresh PostgreSQL database (dropped at the end), the API
(`gunicorn -k uvicorn.workers.UvicornWorker -w 1 freight.asgi:app`) and `--workers` worker
processes (`freight worker`, Celery's thread pool by default). Untimed setup over HTTP: a staff
token, `--shipments` RRs each with inbound tracking registered, and their background jobs drained.
Timed: `--events` unique track_updated deliveries (`--concurrency` client connections, the events of
each shipment in carrier order, one new scan each) from the first POST until the last event is
applied to its shipment (webhook_events.status = processed). Then checks that every event was
applied once: one tracking_events row per event, each shipment's status from its newest scan.

Prints one figure a line: ingest events/s during the burst, applied events/s (first delivery to
last applied), and the ratio to the target (SPEC §11: 1,000 events/s with 2 worker processes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import labels  # noqa: E402  (bench/labels.py: staff_token)
import webhooks as ingest  # noqa: E402  (bench/webhooks.py: services, processes)

FREIGHT = str(ROOT / ".venv/bin/freight")
TARGET = 1000.0
NOT_DONE_SQL = "SELECT count(*) FROM webhook_events WHERE status <> 'processed'"
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)  # within P-30DAY
STEPS = ("PRE_TRANSIT", "TRANSIT", "TRANSIT", "TRANSIT", "DELIVERED")


def _engine(url: str) -> Any:
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def _scalar(url: str, sql: str) -> int:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


def number(i: int) -> str:
    return f"94001118992231{i:08d}"


def body(i: int, k: int, per: int) -> dict[str, Any]:
    """Event k (0-based) of shipment i: one new scan, an hour after the last."""
    status = STEPS[min(len(STEPS) - 1, k * len(STEPS) // per)] if k < per - 1 else "DELIVERED"
    scan = {
        "status": status,
        "status_details": f"scan {k}",
        "status_date": (START + timedelta(hours=k)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "substatus": None,
        "location": {"city": "Memphis", "state": "TN", "zip": "38118", "country": "US"},
    }
    return {"event": "track_updated", "test": True,
            "data": {"carrier": "usps", "tracking_number": number(i), "tracking_status": scan,
                     "tracking_history": [scan], "metadata": "", "test": True}}  # fmt: skip


async def setup(api: str, token: str, shipments: int) -> None:
    staff = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=api, timeout=60) as client:
        gate = asyncio.Semaphore(8)

        async def one(i: int) -> None:
            rr = {
                "serial_number": f"APPLY{i:05d}X",
                "part_number": "MAX-1000",
                "product_description": "card",
                "customer": {"name": "Bench", "email": "b@example.com"},
                "return_address": {
                    "name": "Ada",
                    "street1": "1 Infinite Loop",
                    "city": "Cupertino",
                    "state": "CA",
                    "postal_code": "95014",
                    "country": "US",
                },
                "proof_of_purchase": {"document_type": "invoice", "reference": f"INV-{i}"},
            }
            async with gate:
                made = await client.post("/api/v1/repair-requests", json=rr, headers=staff)
                made.raise_for_status()
                path = f"/api/v1/repair-requests/{made.json()['rr_number']}/inbound-shipments"
                reg = await client.post(
                    path, json={"carrier": "usps", "tracking_number": number(i)}, headers=staff
                )
                reg.raise_for_status()

        await asyncio.gather(*(one(i) for i in range(shipments)))


async def burst(url: str, bodies: list[dict[str, Any]], connections: int) -> tuple[float, float]:
    """Deliver every body on keep-alive connections (each sends its share in order, raw HTTP/1.1
    as in bench/webhooks.py, so the client is not the bottleneck); (first sent, last 2xx)."""
    import orjson

    lanes: list[list[bytes]] = [[] for _ in range(connections)]
    for n, b in enumerate(bodies):
        lanes[n % connections].append(orjson.dumps(b))
    parsed = httpx.URL(url)
    target = f"{parsed.raw_path.decode()}"

    async def lane(items: list[bytes]) -> None:
        reader, writer = await asyncio.open_connection(parsed.host, parsed.port)
        try:
            for item in items:
                for _ in range(5):
                    status = await ingest._post(reader, writer, target, item)
                    if status < 300:
                        break
                    await asyncio.sleep(0.2)
                else:
                    raise RuntimeError(f"delivery refused: {status}")
        finally:
            writer.close()

    first = time.time()
    await asyncio.gather(*(lane(items) for items in lanes))
    return first, time.time()


def ordered_bodies(shipments: int, per: int) -> list[dict[str, Any]]:
    """Round robin over shipments, each shipment's events in carrier order."""
    return [body(i, k, per) for k in range(per) for i in range(shipments)]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--shipments", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--pool", default="threads", choices=("threads", "prefork"))
    parser.add_argument("--concurrency", type=int, default=32, help="client connections")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        print("redis-server is needed (apt-get install redis-server)", file=sys.stderr)
        return 2
    per = max(1, args.events // args.shipments)
    events = per * args.shipments
    with tempfile.TemporaryDirectory(prefix="bench-apply-") as tmpdir:
        tmp = Path(tmpdir)
        with ingest.services(tmp) as env:
            env = {**env, "FREIGHT_WORKER_POOL": args.pool, "FREIGHT_ACCESS_LOG": "false"}
            env["PYTHONPATH"] = os.environ.get("BENCH_CODE", str(ROOT))
            db = env["BENCH_DB_URL"]
            with ingest.gunicorn("freight.asgi:app", 1, env, tmp) as api:
                token = labels.staff_token(db)
                with ingest.process([FREIGHT, "beat"], env, tmp / "beat.log"):
                    workers = [ingest.process([FREIGHT, "worker"], env, tmp / f"worker{n}.log")
                               for n in range(args.workers)]  # fmt: skip
                    for w in workers:
                        w.__enter__()
                    try:
                        result = run(args, api, token, db, per, events)
                    finally:
                        for w in reversed(workers):
                            w.__exit__(None, None, None)
                    logs = "".join(
                        (tmp / f"worker{n}.log").read_text(errors="replace")
                        for n in range(args.workers)
                    )
                    result["retries"] = logs.count("job.retry ")
                    result["deadlocks"] = logs.lower().count("deadlock detected")
    report(result, args, events)
    return 0


def run(args: argparse.Namespace, api: str, token: str, db: str, per: int, events: int) -> Any:
    asyncio.run(setup(api, token, args.shipments))
    open_jobs = "SELECT count(*) FROM jobs WHERE status NOT IN ('succeeded', 'failed')"
    deadline = time.monotonic() + 120
    while _scalar(db, open_jobs) and time.monotonic() < deadline:
        time.sleep(0.5)
    history0 = _scalar(db, "SELECT count(*) FROM tracking_events")
    bodies = ordered_bodies(args.shipments, per)
    url = f"{api}/webhooks/shippo?token={ingest.TOKEN}"
    first, last_ack = asyncio.run(burst(url, bodies, args.concurrency))
    applied_sql = "SELECT count(*) FROM webhook_events WHERE status = 'processed'"
    deadline = time.monotonic() + args.timeout
    while _scalar(db, applied_sql) < events and time.monotonic() < deadline:
        time.sleep(0.05)
    done = time.time()
    return {
        "first": first, "last_ack": last_ack, "done": done,
        "applied": _scalar(db, applied_sql),
        "not_processed": _scalar(db, NOT_DONE_SQL),
        "history": _scalar(db, "SELECT count(*) FROM tracking_events") - history0,
        "delivered": _scalar(db, "SELECT count(*) FROM shipments WHERE status = 'DELIVERED'"),
        "failed_jobs": _scalar(db, "SELECT count(*) FROM jobs WHERE status = 'failed'"),
    }  # fmt: skip


def report(r: dict[str, Any], args: argparse.Namespace, events: int) -> None:
    ingest_rate = events / max(1e-9, r["last_ack"] - r["first"])
    applied_rate = r["applied"] / max(1e-9, r["done"] - r["first"])
    print(
        f"setup: API gunicorn -k uvicorn.workers.UvicornWorker -w 1; {args.workers} x freight "
        f"worker ({args.pool}); PostgreSQL + private Redis; {args.concurrency} client "
        f"connections; {events} events over {args.shipments} shipments"
    )
    print(f"events={events}")
    print(f"ingest_events_per_s={ingest_rate:.0f}  (first POST to last 2xx, workers busy)")
    print(f"applied={r['applied']}  not_processed={r['not_processed']}")
    print(f"failed_jobs={r['failed_jobs']}")
    print(f"jobs_retried={r['retries']}  deadlocks={r['deadlocks']}")
    print(f"tracking_rows_added={r['history']}  (one per event: applied once)")
    print(f"shipments_delivered={r['delivered']} of {args.shipments}")
    print(f"first_delivery_to_last_applied_s={r['done'] - r['first']:.2f}")
    print(f"applied_events_per_s={applied_rate:.0f}")
    print(f"ratio_to_target={applied_rate / TARGET:.2f}  (target {TARGET:.0f}/s, 2 workers)")


if __name__ == "__main__":
    sys.exit(main())
