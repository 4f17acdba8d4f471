"""Tracking and RR reads (SPEC §11): ETag/304 for polling, reads that never wait for a writer,
one query per read while nothing changed, and never a stale answer after any write."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from freight.app import create_app
from freight.claims.models import Claim
from freight.db import session_scope
from freight.deps import get_now
from freight.quotes.models import Payment, Quote
from freight.repairs.models import RepairRequest
from freight.settings import Settings
from tests.integration.conftest import Clock
from tests.integration.tracking.helpers import (
    ACCEPTED,
    API,
    GOOD_RECEIPT,
    apply,
    customer_headers,
    factory,
    make_outbound,
    register,
    tracking_info,
)

TRACKING = "9400111899223197428490"


@pytest.fixture
def tracked(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]]
) -> dict[str, Any]:
    """An RR with inbound tracking, the customer's and staff's headers."""
    number = open_rr()["rr_number"]
    assert register(client, staff, number, "usps", TRACKING).status_code == 201
    return {"rr": number, "customer": customer_headers(client, number), "staff": staff}


@pytest.mark.parametrize("view", ["customer", "staff"])
def test_polling_with_the_etag_gets_304_until_something_changes(
    client: TestClient, tracked: dict[str, Any], settings: Settings, clock: Clock, view: str
) -> None:
    path = f"{API}/track/{tracked['rr']}" if view == "customer" else (
        f"{API}/repair-requests/{tracked['rr']}"
    )  # fmt: skip
    headers = tracked[view]
    first = client.get(path, headers=headers)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    assert first.headers["cache-control"] == "private, no-cache"

    again = client.get(path, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    weak = client.get(path, headers={**headers, "If-None-Match": f'"other", W/{etag}'})
    assert weak.status_code == 304

    apply(settings, clock, tracking_info("usps", TRACKING, [ACCEPTED], start=clock.now))
    changed = client.get(path, headers={**headers, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert changed.json() != first.json()


def test_a_304_still_needs_access(client: TestClient, tracked: dict[str, Any]) -> None:
    etag = client.get(f"{API}/track/{tracked['rr']}", headers=tracked["customer"]).headers["etag"]
    anonymous = client.get(f"{API}/track/{tracked['rr']}", headers={"If-None-Match": etag})
    assert anonymous.status_code == 401


def test_reads_do_not_wait_for_a_writer_on_sqlite(
    client: TestClient, tracked: dict[str, Any], settings: Settings
) -> None:
    if not settings.db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL reads never take a lock (MVCC)")
    writer = sqlite3.connect(settings.db_url.removeprefix("sqlite:///"), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        started = time.monotonic()
        customer = client.get(f"{API}/track/{tracked['rr']}", headers=tracked["customer"])
        staff = client.get(f"{API}/repair-requests/{tracked['rr']}", headers=tracked["staff"])
        took = time.monotonic() - started
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert customer.status_code == 200, customer.text
    assert staff.status_code == 200, staff.text
    assert took < 2.0  # the busy timeout is 30 s: a read waiting for the lock would show


class Queries:
    """Counts the statements the API sends (transaction control excluded)."""

    def __init__(self, engine: Any) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: Any) -> None:
        statement = str(args[2]).lstrip().upper()
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            self.count += 1


def test_a_read_is_one_query_for_the_customer_and_two_for_staff_while_nothing_changes(
    client: TestClient, app: Any, tracked: dict[str, Any]
) -> None:
    track, staff_read = f"{API}/track/{tracked['rr']}", f"{API}/repair-requests/{tracked['rr']}"
    first = client.get(track, headers=tracked["customer"])  # rendered and kept
    client.get(staff_read, headers=tracked["staff"])
    queries = Queries(app.state.engine)
    again = client.get(track, headers=tracked["customer"])
    assert (again.status_code, queries.count) == (200, 1)
    assert again.content == first.content
    queries.count = 0
    assert client.get(staff_read, headers=tracked["staff"]).status_code == 200
    assert queries.count == 2  # the staff token, the RR's version


def _writes(settings: Settings, clock: Clock, client: TestClient, staff: dict[str, str]) -> Any:
    """Every kind of write a reader must see at once, each in its own transaction."""

    def rr_id(s: Session, number: str) -> int:
        found = s.scalar(select(RepairRequest.id).where(RepairRequest.rr_number == number))
        assert found is not None
        return found

    def tracking_event(_number: str) -> None:
        apply(settings, clock, tracking_info("usps", TRACKING, [ACCEPTED], start=clock.now))

    def receipt(number: str) -> None:
        serial = client.get(f"{API}/repair-requests/{number}", headers=staff).json()
        body = {**GOOD_RECEIPT, "serial_number_seen": serial["serial_number"]}
        resp = client.post(f"{API}/repair-requests/{number}/receipt", json=body, headers=staff)
        assert resp.status_code == 200, resp.text

    def quote(number: str) -> None:
        outbound = make_outbound(settings, number, carrier="ups", number="1Z999AA10123456784",
                                 ship_date=clock.now, rr_status=None)  # fmt: skip
        with session_scope(factory(settings)) as s:
            s.add(Quote(shipment_id=outbound, rr_id=rr_id(s, number), amount=Decimal("48.10"),
                        currency="USD", carrier="dhl_express", service="Express Worldwide",
                        rate_id="rate_1", estimated_days=3,
                        expires_at=clock.now + timedelta(days=7), status="open"))  # fmt: skip

    def payment(number: str) -> None:
        with session_scope(factory(settings)) as s:
            found = s.scalar(select(Quote).where(Quote.rr_id == rr_id(s, number)))
            assert found is not None
            s.add(Payment(quote_id=found.id, provider="stripe", status="authorized",
                          currency="USD", authorized_amount=Decimal("48.10"),
                          authorized_at=clock.now))  # fmt: skip

    def claim(number: str) -> None:
        with session_scope(factory(settings)) as s:
            s.add(Claim(rr_id=rr_id(s, number), source="customer", kind="damage",
                        filer="shipper", file_by=clock.now.date() + timedelta(days=30),
                        evidence=[], status="open"))  # fmt: skip

    return [tracking_event, receipt, quote, payment, claim]


def test_every_kind_of_write_changes_the_next_read(
    client: TestClient, tracked: dict[str, Any], settings: Settings, clock: Clock
) -> None:
    number = tracked["rr"]
    views = [(f"{API}/track/{number}", tracked["customer"]),
             (f"{API}/repair-requests/{number}", tracked["staff"])]  # fmt: skip
    for write in _writes(settings, clock, client, tracked["staff"]):
        before = [client.get(path, headers=h).content for path, h in views]
        write(number)
        after = [client.get(path, headers=h).content for path, h in views]
        assert after[1] != before[1], write.__name__  # the staff view shows every kind
        if write.__name__ != "receipt":
            assert after[0] != before[0], write.__name__  # and the customer's, each but receipts


def test_another_process_writing_is_seen_on_the_next_read(
    client: TestClient, tracked: dict[str, Any], settings: Settings, clock: Clock
) -> None:
    other = create_app(settings)  # a second API process: its own cache, the same database
    other.dependency_overrides[get_now] = clock
    path = f"{API}/track/{tracked['rr']}"
    with TestClient(other) as second:
        mine, theirs = (
            client.get(path, headers=tracked["customer"]),
            second.get(path, headers=tracked["customer"]),
        )  # both caches warm
        assert mine.content == theirs.content
        moved = second.post(f"{API}/repair-requests/{tracked['rr']}/status",
                            json={"status": "cancelled", "note": "customer withdrew"},
                            headers=tracked["staff"])  # fmt: skip
        assert moved.status_code == 200, moved.text
        after = client.get(path, headers=tracked["customer"])
        assert after.json()["status"] == "cancelled"
        apply(settings, clock, tracking_info("usps", TRACKING, [ACCEPTED], start=clock.now))
        assert second.get(path, headers=tracked["customer"]).content != theirs.content


def test_an_open_quote_leaves_the_page_when_it_expires(
    client: TestClient, tracked: dict[str, Any], settings: Settings, clock: Clock
) -> None:
    number = tracked["rr"]
    _writes(settings, clock, client, tracked["staff"])[2](number)
    with session_scope(factory(settings)) as s:  # valid for 10 more minutes
        for found in s.scalars(select(Quote)):
            found.expires_at = clock.now + timedelta(minutes=10)
    path = f"{API}/track/{number}"
    assert client.get(path, headers=tracked["customer"]).json()["open_quote"] is not None
    clock.now += timedelta(minutes=10, seconds=1)  # no write: the clock alone moves it
    assert client.get(path, headers=tracked["customer"]).json()["open_quote"] is None
