"""Benchmark: outbound shipments from request to label against the sandbox carrier.

    .venv/bin/python bench/labels.py [--count 500] [--workers 1,2,4] [--latency-ms 250]
                                     [--faults 0.05] [--db-url postgresql://...]

For each worker count: a fresh database and data dir; a standalone `freight sandbox-carrier`
process with the given latency and fault rate (503s plus a few lost label-purchase answers,
which exercise the buy-once path); `count` ready-to-ship RRs, mixed North America (vendor-paid)
and international (quoted, accepted with pm_card_visa). Eight client threads make the outbound
requests through the service layer (rating is a real carrier call) and accept the quotes;
N worker processes (multiprocessing, spawn) claim and run the `shipments.buy_label` jobs from the
outbox with `freight.jobs.service.run_job` — the same handler Celery workers run, without the
broker hop. Prints one figure a line: labels/s, p50/p99 request→label seconds, duplicate labels
and captures (must be 0), and the ratio of labels/s to the bound workers / carrier latency
(one carrier round trip per label per worker).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NA = {
    "name": "Ada",
    "street1": "1 Infinite Loop",
    "city": "Cupertino",
    "state": "CA",
    "postal_code": "95014",
    "country": "US",
}
INTL = {
    "name": "Grace",
    "street1": "Unter den Linden 1",
    "city": "Berlin",
    "postal_code": "10117",
    "country": "DE",
    "phone": "+49 30 1",
}
PARCEL = {
    "length": 12,
    "width": 9,
    "height": 4,
    "distance_unit": "in",
    "weight": 3,
    "mass_unit": "lb",
}


def _settings(db_url: str, data_dir: Path, carrier_url: str) -> Any:
    from freight.settings import Settings

    return Settings(
        database_url=db_url,
        data_dir=data_dir,
        shippo_base_url=carrier_url,
        env="test",
        carrier_timeout_seconds=5.0,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_carrier(
    data_dir: Path, latency_ms: int, faults: float
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    lost = min(0.01, faults / 5)
    spec = f"*:{faults - lost:.4f}:503,transactions@post:{lost:.4f}:lost_response:1"
    env = {
        **os.environ,
        "FREIGHT_DATA_DIR": str(data_dir / "carrier"),
        "FREIGHT_SANDBOX_LATENCY_MS": str(latency_ms),
        "FREIGHT_SANDBOX_FAULTS": spec,
    }
    (data_dir / "carrier").mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/freight"), "sandbox-carrier", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("sandbox carrier did not start")


def _make_rrs(settings: Any, count: int) -> list[str]:
    from freight.db import engine_for, session_factory, session_scope
    from freight.models import Base
    from freight.repairs import service
    from freight.repairs.schemas import ReceiptIn, RepairRequestIn

    Base.metadata.drop_all(engine_for(settings.db_url))  # a fresh ledger per run
    Base.metadata.create_all(engine_for(settings.db_url))
    factory, now, numbers = session_factory(engine_for(settings.db_url)), datetime.now(UTC), []
    for i in range(count):
        body = RepairRequestIn.model_validate(
            {
                "serial_number": f"BENCH{i:05d}X",
                "part_number": "MAX-1000",
                "product_description": "card",
                "customer": {"name": "Bench", "email": "bench@example.com"},
                "return_address": INTL if i % 2 else NA,
                "proof_of_purchase": {"document_type": "invoice", "reference": f"INV-{i}"},
            }
        )
        with session_scope(factory) as s:
            rr = service.open_rr(s, data=body, actor="bench", now=now, settings=settings)
            seen = ReceiptIn(
                rr_marked_on_carton=True,
                freight_collect=False,
                visible_damage=False,
                serial_number_seen=rr.serial_number,
            )
            service.record_receipt(
                s, rr_number=rr.rr_number, data=seen, actor="bench", now=now, settings=settings
            )
            for target in ("in_repair", "ready_to_ship"):
                service.change_status(
                    s, rr_number=rr.rr_number, target=target, note="", actor="b", now=now
                )
            numbers.append(rr.rr_number)
    return numbers


def _request(settings: Any, rr_number: str) -> tuple[str, float]:
    """One staff request (rating included) and, when quoted, the customer's acceptance."""
    from freight.auth.service import Principal
    from freight.db import engine_for, session_factory, session_scope
    from freight.ports import carrier_port, payments_port
    from freight.quotes.service import accept_quote
    from freight.shipments.schemas import OutboundShipmentIn
    from freight.shipments.service import create_outbound

    factory, started = session_factory(engine_for(settings.db_url)), time.time()
    data = OutboundShipmentIn.model_validate({"parcel": PARCEL})
    for attempt in range(5):
        try:
            with session_scope(factory) as s:
                shipment, quote = create_outbound(
                    s,
                    rr_number=rr_number,
                    data=data,
                    actor="bench",
                    now=datetime.now(UTC),
                    settings=settings,
                    carrier=carrier_port(settings),
                )
                shipment_id = shipment.id
            break
        except Exception:  # noqa: BLE001 - a 502 after the carrier's retries: the desk asks again
            if attempt == 4:
                raise
    if quote is not None:
        who = Principal(kind="customer", name="bench", rr_number=rr_number)
        with session_scope(factory) as s:
            accept_quote(
                s,
                quote_id=quote.id,
                principal=who,
                payment_method="pm_card_visa",
                payments=payments_port(settings),
                now=datetime.now(UTC),
            )
    return shipment_id, started


def _worker(db_url: str, data_dir: str, carrier_url: str, deadline: float) -> None:
    """A worker process: claim and run label jobs until none is left or the deadline."""
    import logging

    from sqlalchemy import select

    from freight.db import engine_for, session_factory
    from freight.jobs.models import Job
    from freight.jobs.service import CLAIMABLE, JobBusyError, job_context, run_job

    logging.disable(logging.WARNING)
    settings = _settings(db_url, Path(data_dir), carrier_url)
    factory, idle = session_factory(engine_for(db_url)), 0
    while time.time() < deadline and idle < 100:
        with factory() as s:
            ids = list(
                s.scalars(
                    select(Job.id)
                    .where(Job.status.in_(CLAIMABLE), Job.task == "shipments.buy_label")
                    .order_by(Job.created_at)
                    .limit(8)
                )
            )
        if not ids:
            idle += 1
            time.sleep(0.1)
            continue
        idle = 0
        for job_id in ids:
            try:
                run_job(factory, job_id, lambda: job_context(settings, datetime.now(UTC)))
            except JobBusyError:
                continue
            except Exception:  # noqa: BLE001 - left `retrying`; picked up again next round
                time.sleep(0.05)


def _results(settings: Any, started: dict[str, float], carrier_dir: Path) -> dict[str, Any]:
    from sqlalchemy import select

    from carriers.sandbox.store import SandboxStore
    from freight.db import engine_for, session_factory
    from freight.payments.sandbox import SandboxPayments
    from freight.shipments.models import Shipment

    with session_factory(engine_for(settings.db_url))() as s:
        rows = s.execute(select(Shipment.id, Shipment.state, Shipment.updated_at)).all()
    done = {sid: at.timestamp() for sid, state, at in rows if state == "labeled"}
    waits = sorted(done[sid] - started[sid] for sid in done if sid in started)
    store = SandboxStore(str(carrier_dir / "sandbox-carrier.db"))
    sold = Counter(
        str(t.get("metadata")) for t in store.find("transaction") if t.get("status") == "SUCCESS"
    )
    store.close()
    captures = Counter(
        o["intent"]
        for o in SandboxPayments(settings.data_dir / "sandbox-payments.db").operations("capture")
    )
    return {
        "labeled": len(done),
        "waits": waits,
        "last": max(done.values(), default=time.time()),
        "dup_labels": sum(n - 1 for n in sold.values() if n > 1),
        "dup_captures": sum(n - 1 for n in captures.values() if n > 1),
    }


def run(
    count: int, workers: int, latency_ms: int, faults: float, db_url: str | None, timeout: float
) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-labels-") as tmp:
        data_dir = Path(tmp)
        url = db_url or f"sqlite:///{data_dir / 'freight.db'}"
        carrier, carrier_url = _start_carrier(data_dir, latency_ms, faults)
        try:
            settings = _settings(url, data_dir, carrier_url)
            numbers = _make_rrs(settings, count)
            deadline = time.time() + timeout
            ctx = mp.get_context("spawn")
            procs = [
                ctx.Process(target=_worker, args=(url, str(data_dir), carrier_url, deadline))
                for _ in range(workers)
            ]
            t0 = time.time()
            for p in procs:
                p.start()
            with ThreadPoolExecutor(max_workers=8) as pool:
                started = dict(pool.map(lambda n: _request(settings, n), numbers))
            for p in procs:
                p.join(max(1.0, deadline - time.time()))
                if p.is_alive():
                    p.terminate()
            res = _results(settings, started, data_dir / "carrier")
        finally:
            carrier.terminate()
            carrier.wait(10)
    _report(res, count, workers, latency_ms, t0)


def _report(res: dict[str, Any], count: int, workers: int, latency_ms: int, t0: float) -> None:
    elapsed = max(1e-9, res["last"] - t0)
    rate = res["labeled"] / elapsed
    bound = workers / (latency_ms / 1000)
    waits = res["waits"] or [0.0]
    p99 = waits[min(len(waits) - 1, int(round(0.99 * (len(waits) - 1))))]
    print(f"--- workers={workers} shipments={count} labeled={res['labeled']}")
    print(f"labels_per_s={rate:.2f}")
    print(f"p50_request_to_label_s={statistics.median(waits):.2f}")
    print(f"p99_request_to_label_s={p99:.2f}")
    print(f"duplicate_labels={res['dup_labels']}")
    print(f"duplicate_captures={res['dup_captures']}")
    print(f"bound_labels_per_s={bound:.2f}")
    print(f"ratio_to_bound={rate / bound:.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--latency-ms", type=int, default=250)
    parser.add_argument("--faults", type=float, default=0.05)
    parser.add_argument("--db-url", default=None, help="default: a SQLite file in a temp dir")
    parser.add_argument("--timeout", type=float, default=900.0, help="per worker count, seconds")
    args = parser.parse_args()
    import logging

    logging.disable(logging.WARNING)  # carrier retries are expected under injected faults
    print(
        "driver=multiprocessing run_job workers (same handler as Celery, no broker hop); "
        f"latency_ms={args.latency_ms} faults={args.faults}"
    )
    for n in (int(w) for w in args.workers.split(",")):
        run(args.count, n, args.latency_ms, args.faults, args.db_url, args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
