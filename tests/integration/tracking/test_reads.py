"""Tracking and RR reads (SPEC §11): ETag/304 for polling, reads that never wait for a writer."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from freight.settings import Settings
from tests.integration.conftest import Clock
from tests.integration.tracking.helpers import (
    ACCEPTED,
    API,
    apply,
    customer_headers,
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
