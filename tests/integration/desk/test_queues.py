"""The repair desk's day queues: who is in each, overdue first, 'today' in the depot's timezone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from freight.repairs.models import RepairRequest
from tests.integration.conftest import Clock
from tests.integration.tracking.helpers import API, GOOD_RECEIPT, register


def _receive(client: TestClient, staff: dict[str, str], rr: dict[str, Any], **over: Any) -> None:
    body = {**GOOD_RECEIPT, "serial_number_seen": rr["serial_number"], **over}
    url = f"{API}/repair-requests/{rr['rr_number']}/receipt"
    resp = client.post(url, json=body, headers=staff)
    assert resp.status_code == 200, resp.text


def _move(client: TestClient, staff: dict[str, str], rr: dict[str, Any], status: str) -> None:
    url = f"{API}/repair-requests/{rr['rr_number']}/status"
    resp = client.post(url, json={"status": status, "note": "bench"}, headers=staff)
    assert resp.status_code == 200, resp.text


def test_desk_queues_show_members_overdue_first_and_today_in_depot_time(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    clock: Clock, session: Session,
) -> None:  # fmt: skip
    old = open_rr()
    _receive(client, staff, old)  # received 40 days ago: its repair SLA has passed
    clock.now += timedelta(days=40)
    late_last_night = open_rr()
    clock.now -= timedelta(hours=10)  # 07:00 UTC, 23:00 yesterday in San Jose
    _receive(client, staff, late_last_night)
    clock.now += timedelta(hours=10)
    received, repairing, shipping, damaged, tracked, untracked, paying = (
        open_rr() for _ in range(7)
    )
    for rr in (received, repairing, shipping):
        _receive(client, staff, rr)
    _move(client, staff, repairing, "in_repair")
    _move(client, staff, shipping, "in_repair")
    _move(client, staff, shipping, "ready_to_ship")
    _receive(client, staff, damaged, visible_damage=True)
    assert (
        register(client, staff, tracked["rr_number"], "ups", "1Z999AA10123456784").status_code
        == 201
    )
    session.execute(
        update(RepairRequest)
        .where(RepairRequest.rr_number == paying["rr_number"])
        .values(status="awaiting_payment")
    )
    session.commit()

    resp = client.get(f"{API}/desk/queues", headers=staff)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["today"] == "2026-12-12"
    queues = {q["name"]: q for q in body["queues"]}
    assert list(queues) == [
        "expected_inbound", "arrived_today", "in_repair", "ready_to_ship", "awaiting_payment",
        "claims_due",
    ]  # fmt: skip

    def rrs(name: str) -> list[str]:
        assert queues[name]["count"] == len(queues[name]["items"])
        return [i["rr_number"] for i in queues[name]["items"]]

    assert rrs("expected_inbound") == [tracked["rr_number"]]
    assert untracked["rr_number"] not in rrs("expected_inbound")
    assert sorted(rrs("arrived_today")) == sorted(
        rr["rr_number"] for rr in (received, repairing, shipping, damaged)
    )
    in_repair = queues["in_repair"]["items"]
    assert [i["rr_number"] for i in in_repair] == [
        old["rr_number"], late_last_night["rr_number"], received["rr_number"],
        repairing["rr_number"],
    ]  # fmt: skip
    assert [i["overdue"] for i in in_repair] == [True, False, False, False]
    assert in_repair[0]["due"] < body["today"] <= in_repair[1]["due"]
    assert {i["status"] for i in in_repair} == {"received", "in_repair"}
    assert in_repair[0]["href"] == f"{API}/repair-requests/{old['rr_number']}"
    assert rrs("ready_to_ship") == [shipping["rr_number"]]
    assert rrs("awaiting_payment") == [paying["rr_number"]]
    (claim,) = queues["claims_due"]["items"]
    assert (claim["rr_number"], claim["due_kind"], claim["claim_status"]) == (
        damaged["rr_number"], "file_by", "open",
    )  # fmt: skip
    assert claim["customer_name"] == "Ada Lovelace"


def test_desk_queues_need_a_staff_caller(
    client: TestClient, make_token: Callable[[str], dict[str, str]]
) -> None:
    resp = client.get(f"{API}/desk/queues")
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"{API}/desk/queues", headers=make_token("finance")).status_code == 403
