"""Claims from carrier events: one per shipment, who files, by when; the staff queue; expiry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from freight.claims.jobs import expire
from freight.claims.models import Claim
from freight.db import session_scope
from freight.settings import Settings
from tests.integration.conftest import Clock
from tests.integration.tracking.helpers import (
    ACCEPTED,
    API,
    DAMAGED,
    DELIVERED,
    LOST,
    RETURNED,
    apply,
    customer_headers,
    factory,
    job_context,
    make_outbound,
    register,
    tracking_info,
)

UPS = "1Z999AA10123456784"
USPS = "9400111899223197428490"


def _claims(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Claim)) or 0


def _queue(client: TestClient, staff: dict[str, str], query: str = "") -> list[dict[str, Any]]:
    resp = client.get(f"{API}/claims{query}", headers=staff)
    assert resp.status_code == 200, resp.text
    data: list[dict[str, Any]] = resp.json()
    return data


def test_inbound_damage_is_one_claim_filed_by_the_sender_counted_from_delivery(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    settings: Settings, clock: Clock, session: Session,
) -> None:  # fmt: skip
    rr = open_rr()
    register(client, staff, rr["rr_number"], "ups", UPS)
    start = clock.now
    apply(settings, clock, tracking_info("ups", UPS, [ACCEPTED, DAMAGED], start=start))
    (claim,) = _queue(client, staff)
    assert (claim["source"], claim["kind"], claim["filer"], claim["carrier"]) == (
        "carrier_event", "damage", "sender", "ups",
    )  # fmt: skip
    # Not delivered yet: UPS counts from delivery, so the pickup date stands in for now.
    assert claim["file_by"] == (start.date() + timedelta(days=60)).isoformat()
    assert any("packing material" in item for item in claim["evidence"])
    delivered = [ACCEPTED, DAMAGED, DELIVERED]
    for _ in range(2):  # the delivery webhook, then a duplicate of it
        apply(settings, clock, tracking_info("ups", UPS, delivered, start=start))
    (claim,) = _queue(client, staff)
    delivered_on = (start + timedelta(hours=12)).date()
    assert claim["file_by"] == (delivered_on + timedelta(days=60)).isoformat()
    assert len(claim["notes"]) == 1
    assert _claims(session) == 1


def test_outbound_loss_is_filed_by_the_customer_within_usps_days_after_mailing(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    settings: Settings, clock: Clock,
) -> None:  # fmt: skip
    rr = open_rr()
    ship_date = clock.now + timedelta(days=20)
    make_outbound(settings, rr["rr_number"], carrier="usps", number=USPS, ship_date=ship_date)
    apply(settings, clock, tracking_info("usps", USPS, [ACCEPTED, LOST], start=ship_date))
    (claim,) = _queue(client, staff, "?carrier=usps")
    assert (claim["kind"], claim["filer"], claim["review_required"]) == ("loss", "customer", False)
    assert claim["file_by"] == (ship_date.date() + timedelta(days=60)).isoformat()
    assert "USPS" in claim["deadline_rule"]
    assert "mailing" in claim["deadline_rule"]
    mine = client.get(
        f"{API}/track/{rr['rr_number']}", headers=customer_headers(client, rr["rr_number"])
    )
    assert [c["kind"] for c in mine.json()["claims"]] == ["loss"]
    assert "notes" not in mine.json()["claims"][0]


def test_returned_is_flagged_for_review_and_later_damage_takes_over(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    settings: Settings, clock: Clock,
) -> None:  # fmt: skip
    rr = open_rr()
    make_outbound(settings, rr["rr_number"], carrier="fedex", number="449044304137821",
                  ship_date=clock.now, international=True)  # fmt: skip
    apply(settings, clock, tracking_info("fedex", "449044304137821", [ACCEPTED, RETURNED],
                                         start=clock.now))  # fmt: skip
    (claim,) = _queue(client, staff)
    assert claim["review_required"] is True
    assert claim["file_by"] == (clock.now.date() + timedelta(days=21)).isoformat()  # FedEx intl
    apply(settings, clock, tracking_info("fedex", "449044304137821", [ACCEPTED, DAMAGED],
                                         start=clock.now))  # fmt: skip
    (claim,) = _queue(client, staff)
    assert (claim["kind"], claim["review_required"]) == ("damage", False)


def test_staff_move_claims_through_the_lifecycle(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    settings: Settings, clock: Clock,
) -> None:  # fmt: skip
    rr = open_rr()
    register(client, staff, rr["rr_number"], "ups", UPS)
    apply(settings, clock, tracking_info("ups", UPS, [ACCEPTED, DAMAGED], start=clock.now))
    claim_id = _queue(client, staff, "?status=open")[0]["id"]
    assert _queue(client, staff, "?status=filed") == []
    filed = client.post(f"{API}/claims/{claim_id}", json={"status": "filed", "note": "claim 42"},
                        headers=staff)  # fmt: skip
    assert filed.status_code == 200, filed.text
    assert filed.json()["status"] == "filed"
    back = client.post(f"{API}/claims/{claim_id}", json={"status": "open"}, headers=staff)
    assert back.status_code == 409
    assert back.json()["allowed"] == ["closed"]
    bogus = client.post(f"{API}/claims/{claim_id}", json={"status": "won"}, headers=staff)
    assert bogus.status_code == 422
    assert bogus.json()["errors"][0]["field"] == "status"
    closed = client.post(f"{API}/claims/{claim_id}", json={"status": "closed"}, headers=staff)
    assert closed.json()["status"] == "closed"
    assert (
        client.post(f"{API}/claims/clm_nope", json={"status": "closed"}, headers=staff).status_code
        == 404
    )
    customer = customer_headers(client, rr["rr_number"])
    assert client.get(f"{API}/claims", headers=customer).status_code == 403
    assert client.get(f"{API}/claims?status=lost", headers=staff).status_code == 422
    shown = client.get(f"{API}/repair-requests/{rr['rr_number']}", headers=staff).json()
    assert [c["status"] for c in shown["claims"]] == ["closed"]


def test_daily_task_expires_unfiled_claims_past_file_by(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    settings: Settings, clock: Clock,
) -> None:  # fmt: skip
    unfiled, filed = open_rr(), open_rr()
    register(client, staff, unfiled["rr_number"], "ups", UPS)
    register(client, staff, filed["rr_number"], "usps", USPS)
    apply(settings, clock, tracking_info("ups", UPS, [ACCEPTED, DAMAGED], start=clock.now))
    apply(settings, clock, tracking_info("usps", USPS, [ACCEPTED, DAMAGED], start=clock.now))
    by_carrier = {c["carrier"]: c for c in _queue(client, staff)}
    client.post(f"{API}/claims/{by_carrier['usps']['id']}", json={"status": "filed"}, headers=staff)
    file_by = date.fromisoformat(by_carrier["ups"]["file_by"])
    with session_scope(factory(settings)) as s:  # on the last day it is still open
        last_day = clock.now.replace(year=file_by.year, month=file_by.month, day=file_by.day)
        assert expire(s, job_context(settings, last_day + timedelta(hours=1))) == 0
    with session_scope(factory(settings)) as s:
        assert expire(s, job_context(settings, last_day + timedelta(days=1, hours=1))) == 1
    statuses = {c["carrier"]: c["status"] for c in _queue(client, staff)}
    assert statuses == {"ups": "expired", "usps": "filed"}
