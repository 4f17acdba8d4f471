"""P-REPLACE: a new or reconditioned unit goes back instead of the repair; it keeps the
original's warranty end, and the shipment, customs, customer page and email say so."""

from __future__ import annotations

from typing import Any

from freight.settings import Settings
from tests.integration.shipments.flow import BERLIN, Flow
from tests.integration.submissions.helpers import body_of, emails_of

API = "/api/v1"
REGISTRY = "serial_number,part_number,shipped_on\nORIG-1,MAX-1000,2026-03-15\n"


def _replace(
    flow: Flow, rr: str, serial: str, condition: str = "reconditioned", **extra: Any
) -> Any:
    body = {"serial_number": serial, "condition": condition, **extra}
    return flow.client.post(
        f"{API}/repair-requests/{rr}/replacement", json=body, headers=flow.staff
    )


def _registry(flow: Flow) -> None:
    resp = flow.client.post(
        f"{API}/warranty/registrations",
        content=REGISTRY.encode(),
        headers={**flow.staff, "Content-Type": "text/csv"},
    )
    assert resp.status_code == 200, resp.text


def test_a_replacement_inherits_the_originals_warranty_end(flow: Flow) -> None:
    _registry(flow)
    rr = flow.open_rr(serial_number="ORIG-1")
    flow.receive(rr)
    resp = _replace(flow, rr, "repl-1", note="Board beyond repair")
    assert resp.status_code == 200, resp.text
    replacement = resp.json()["replacement"]
    assert replacement["serial_number"] == "REPL-1"
    assert replacement["replaces"] == "ORIG-1"
    assert replacement["condition"] == "reconditioned"
    assert replacement["ends_on"] == "2027-03-14"
    new = flow.client.post(f"{API}/warranty/lookup", json={"serial_number": "REPL-1"}).json()
    assert new == {
        "serial_number": "REPL-1",
        "status": "in_warranty",
        "ends_on": "2027-03-14",
        "replaced_by": None,
        "replaces": "ORIG-1",
    }
    old = flow.client.post(f"{API}/warranty/lookup", json={"serial_number": "ORIG-1"}).json()
    assert old["replaced_by"] == "REPL-1"
    assert old["ends_on"] == "2027-03-14"
    staff_view = flow.client.get(f"{API}/warranty/REPL-1", headers=flow.staff).json()
    assert staff_view["rule"] == "P-REPLACE"
    assert staff_view["rr_number"] == rr


def test_a_replacement_of_a_replacement_still_ends_with_the_first_unit(flow: Flow) -> None:
    _registry(flow)
    first = flow.open_rr(serial_number="ORIG-1")
    flow.receive(first)
    _replace(flow, first, "REPL-A")
    flow.move(first, "cancelled")  # (any end will do; the unit REPL-A is now with the customer)
    second = flow.open_rr(serial_number="REPL-A")
    flow.receive(second)
    assert _replace(flow, second, "REPL-B", condition="new").status_code == 200
    chained = flow.client.post(f"{API}/warranty/lookup", json={"serial_number": "REPL-B"}).json()
    assert chained["ends_on"] == "2027-03-14"
    assert chained["replaces"] == "REPL-A"


def test_replacement_only_while_the_unit_is_on_site(flow: Flow) -> None:
    rr = flow.open_rr()
    not_yet = _replace(flow, rr, "REPL-2")
    assert not_yet.status_code == 409
    assert not_yet.headers["content-type"].startswith("application/problem+json")
    flow.receive(rr)
    flow.move(rr, "in_repair")
    assert _replace(flow, rr, "REPL-2").status_code == 200
    flow.move(rr, "ready_to_ship")
    assert _replace(flow, rr, "REPL-3").status_code == 409
    assert flow.rr(rr)["replacement"]["serial_number"] == "REPL-2"


def test_bad_replacements_are_refused(flow: Flow) -> None:
    flow.open_rr(serial_number="BUSY-1")  # holds BUSY-1
    rr = flow.open_rr()
    flow.receive(rr)
    same = _replace(flow, rr, flow.rr(rr)["serial_number"].lower())
    assert same.status_code == 422
    assert [e["field"] for e in same.json()["errors"]] == ["serial_number"]
    assert _replace(flow, rr, "BUSY-1").status_code == 409
    assert _replace(flow, rr, "REPL-4", condition="used").status_code == 422
    assert flow.rr(rr)["replacement"] is None


def test_staff_can_correct_the_replacement_before_it_ships(flow: Flow) -> None:
    rr = flow.open_rr()
    flow.receive(rr)
    _replace(flow, rr, "TYPO-1")
    assert _replace(flow, rr, "REPL-5", condition="new").status_code == 200
    typo = flow.client.post(f"{API}/warranty/lookup", json={"serial_number": "TYPO-1"}).json()
    assert typo["status"] == "unknown"
    assert typo["replaces"] is None
    assert flow.rr(rr)["replacement"]["serial_number"] == "REPL-5"


def test_the_outbound_shipment_customs_and_customer_page_carry_the_replacement(flow: Flow) -> None:
    rr = flow.open_rr(return_address=BERLIN)
    flow.receive(rr)
    _replace(flow, rr, "REPL-DE-1", condition="new")
    flow.move(rr, "in_repair")
    flow.move(rr, "ready_to_ship")
    shipment = flow.outbound(rr)
    assert shipment["replacement"]["serial_number"] == "REPL-DE-1"
    assert "Replacement" in shipment["customs"]["description"]
    assert "REPL-DE-1" in shipment["customs"]["description"]
    page = flow.client.get(f"{API}/track/{rr}", headers=flow.customer(rr)).json()
    assert page["replacement"]["serial_number"] == "REPL-DE-1"
    assert "new unit" in page["replacement"]["text"]


def test_the_shipped_email_says_it_is_a_replacement(flow: Flow, settings: Settings) -> None:
    rr = flow.open_rr()
    flow.receive(rr)
    _replace(flow, rr, "REPL-US-1")
    flow.move(rr, "in_repair")
    flow.move(rr, "ready_to_ship")
    flow.outbound(rr)
    flow.drain()
    assert flow.rr(rr)["status"] == "shipped"
    (msg,) = emails_of(settings, "shipped")
    text = body_of(msg)
    assert "REPLACEMENT" in text
    assert "REPL-US-1" in text
    assert flow.rr(rr)["serial_number"] in text
