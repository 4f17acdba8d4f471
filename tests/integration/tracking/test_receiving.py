"""Receiving desk follow-ups: damage claim, return-to-sender draft, unmatched packages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from freight.claims.models import Claim
from freight.repairs.models import Receipt
from freight.shipments.models import Shipment
from tests.integration.tracking.helpers import API, GOOD_RECEIPT, register

UPS = "1Z999AA10123456784"


def _receipt(client: TestClient, staff: dict[str, str], rr: dict[str, Any], **over: Any) -> Any:
    body = {**GOOD_RECEIPT, "serial_number_seen": rr["serial_number"], **over}
    return client.post(f"{API}/repair-requests/{rr['rr_number']}/receipt", json=body, headers=staff)


def test_damaged_unit_is_rejected_with_a_sender_claim_and_a_return_draft(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    session: Session,
) -> None:  # fmt: skip
    rr = open_rr()
    inbound = register(client, staff, rr["rr_number"], "ups", UPS).json()
    resp = _receipt(client, staff, rr, visible_damage=True, rr_marked_on_carton=False)
    assert resp.status_code == 200, resp.text
    assert resp.json()["accepted"] is False
    assert {r["code"] for r in resp.json()["reasons"]} == {"damaged", "unmarked"}
    shown = resp.json()["repair_request"]
    assert shown["status"] == "rejected"
    (claim,) = shown["claims"]
    assert (claim["source"], claim["kind"], claim["filer"], claim["carrier"]) == (
        "receipt_inspection",
        "damage",
        "sender",
        "ups",
    )
    assert claim["shipment_id"] == inbound["id"]
    drafts = [s for s in shown["shipments"] if s["purpose"] == "return_to_sender"]
    assert len(drafts) == 1
    assert (drafts[0]["direction"], drafts[0]["state"]) == ("outbound", "draft")
    assert drafts[0]["freight_terms"]["payer"] == "vendor"  # US return address: P-NA
    again = _receipt(client, staff, rr)
    assert again.status_code == 409
    assert session.scalar(select(func.count()).select_from(Receipt)) == 1
    assert session.scalar(select(func.count()).select_from(Claim)) == 1


def test_damage_without_registered_tracking_still_opens_a_claim(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]]
) -> None:
    rr = open_rr()
    resp = _receipt(client, staff, rr, visible_damage=True, carrier="FedEx")
    (claim,) = resp.json()["repair_request"]["claims"]
    assert (claim["shipment_id"], claim["carrier"], claim["filer"]) == (None, "fedex", "sender")


def test_accepted_unit_starts_the_clock_and_drafts_nothing(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    session: Session,
) -> None:  # fmt: skip
    rr = open_rr()
    resp = _receipt(client, staff, rr)
    assert resp.json()["accepted"] is True
    assert resp.json()["repair_request"]["repair_due"] is not None
    assert resp.json()["repair_request"]["claims"] == []
    assert session.scalar(select(func.count()).select_from(Shipment)) == 0


def test_international_rejection_drafts_a_quoted_return(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
) -> None:  # fmt: skip
    from tests.integration.conftest import rr_payload

    address = rr_payload()["return_address"] | {"country": "DE", "postal_code": "10115"}
    rr = open_rr(return_address=address)
    shown = _receipt(client, staff, rr, freight_collect=True).json()["repair_request"]
    (draft,) = [s for s in shown["shipments"] if s["purpose"] == "return_to_sender"]
    assert (draft["freight_terms"]["payer"], draft["freight_terms"]["rule"]) == (
        "customer",
        "P-QUOTE",
    )


def test_packages_for_unknown_or_cancelled_rrs_are_logged(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
) -> None:  # fmt: skip
    unknown = client.post(
        f"{API}/receipts/unmatched",
        json={
            "rr_number_seen": "RR-NOPE0000",
            "carrier": "UPS",
            "tracking_number": UPS,
            "sender": "ACME Corp",
            "notes": "left by the door",
        },
        headers=staff,
    )
    assert unknown.status_code == 201, unknown.text
    assert unknown.json()["reasons"][0]["code"] == "rr_unknown"
    assert unknown.json()["linked_rr_number"] is None
    cancelled = open_rr()
    client.post(
        f"{API}/repair-requests/{cancelled['rr_number']}/status",
        json={"status": "cancelled"},
        headers=staff,
    )
    late = client.post(
        f"{API}/receipts/unmatched", json={"rr_number_seen": cancelled["rr_number"]}, headers=staff
    )
    assert late.status_code == 201
    assert late.json()["linked_rr_number"] == cancelled["rr_number"]
    assert late.json()["reasons"][0]["code"] == "rr_cancelled"
    expected = open_rr()
    wrong_desk = client.post(
        f"{API}/receipts/unmatched", json={"rr_number_seen": expected["rr_number"]}, headers=staff
    )
    assert wrong_desk.status_code == 409
    listed = client.get(f"{API}/receipts/unmatched", headers=staff).json()
    assert [r["id"] for r in listed] == [late.json()["id"], unknown.json()["id"]]
