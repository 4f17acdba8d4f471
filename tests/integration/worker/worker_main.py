"""A real Celery worker for the tests, with test-only handlers that leave countable effects.

Effects go to a `test_effects` table in the same transaction as the job's success, so a job or
webhook processed twice would show up as two rows.
"""

from __future__ import annotations

import logging
import sys
import time
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from carriers.types import Address, Parcel, RateRequest
from freight.jobs.registry import REGISTRY, JobContext
from freight.webhooks import consumers as webhooks

log = logging.getLogger("tests.worker")

DEPOT = Address("Repair Depot", "410 East Plumeria Drive", "San Jose", "95134", "US", state="CA")
CUSTOMER = Address("Ada Lovelace", "1 Infinite Loop", "Cupertino", "95014", "US", state="CA")
PARCEL = Parcel(Decimal(10), Decimal(8), Decimal(4), "in", Decimal(2), "lb")


def _effect(session: Session, kind: str, key: str) -> None:
    session.execute(
        text("INSERT INTO test_effects (kind, key) VALUES (:kind, :key)"),
        {"kind": kind, "key": key},
    )


def buy_label(session: Session, ctx: JobContext, *, shipment_id: str) -> None:
    """Rate and buy one label for a (pretend) shipment; the carrier is idempotent per metadata."""
    metadata = f"test-shipment:{shipment_id}"
    rates = ctx.carrier.rate(RateRequest(DEPOT, CUSTOMER, (PARCEL,), metadata=metadata))
    log.warning("test.buy_label.purchasing shipment=%s", shipment_id)
    label = ctx.carrier.buy_label(rates[0], metadata=metadata)
    _effect(session, "label", label.transaction_id)


def slow(session: Session, _ctx: JobContext, *, key: str, seconds: float) -> None:
    """Hold a worker process for a while (a message stays delivered but unacknowledged)."""
    log.warning("test.slow.started key=%s", key)
    time.sleep(seconds)
    _effect(session, "slow", key)


class TransientError(Exception):
    retryable = True


def consume_track(session: Session, ctx: JobContext, info: Any, _source: str) -> None:
    if info.tracking_number.startswith("FLAKY"):  # fails its first attempt, as a carrier blip
        marker = ctx.settings.data_dir / f"attempted-{info.tracking_number}"
        if not marker.exists():
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
            raise TransientError(f"first attempt for {info.tracking_number}")
    if info.tracking_number.startswith("SLOWB"):  # a burst slow enough to kill mid-batch
        log.warning("test.track.applying number=%s", info.tracking_number)
        time.sleep(0.2)
        _effect(session, "track", f"{info.tracking_number}:{info.events[-1].occurred_at}")
        return
    _effect(session, "track", f"{info.tracking_number}:{info.status}")


# This test worker's composition: the product's wiring plus the test handlers and consumer.
REGISTRY.handlers.update({"test.buy_label": buy_label, "test.slow": slow})
webhooks.CONSUMERS["track"] = consume_track

if __name__ == "__main__":
    from worker.run import run_worker

    sys.exit(run_worker(concurrency=int(sys.argv[1]) if len(sys.argv) > 1 else 2))
