"""A receipt decision corrected both ways while the unit is on site (R-CORRECT), and a cancel
with the unit on site that returns it to the sender instead of stranding it (R-CANCEL-ONSITE)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from freight.settings import Settings
from tests.integration.conftest import Clock, rr_payload
from tests.integration.notifications.test_emails import _body, _outbox
from tests.integration.tracking.helpers import API, GOOD_RECEIPT, run_jobs


def _receive(client: TestClient, staff: dict[str, str], rr: dict[str, Any], serial: str) -> Any:
    body = {**GOOD_RECEIPT, "serial_number_seen": serial}
    resp = client.post(f"{API}/repair-requests/{rr['rr_number']}/receipt", json=body, headers=staff)
    assert resp.status_code == 200, resp.text
    return resp.json()["repair_request"]


def _correct(client: TestClient, staff: dict[str, str], rr: str, note: str) -> Any:
    return client.post(f"{API}/repair-requests/{rr}/receipt-correction", json={"note": note},
                       headers=staff)  # fmt: skip


def _drafts(shown: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in shown["shipments"] if s["purpose"] == "return_to_sender"]


def test_a_mistyped_serial_rejection_is_corrected_to_received_and_back(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    settings: Settings, clock: Clock,
) -> None:  # fmt: skip
    rr = open_rr()
    rejected = _receive(client, staff, rr, "TYPO-123")  # one typo: rejected at once
    assert rejected["status"] == "rejected"
    assert rejected["receipt_correction"] == "received"
    assert len(_drafts(rejected)) == 1
    no_note = _correct(client, staff, rr["rr_number"], "  ")
    assert no_note.status_code == 422
    assert no_note.json()["errors"][0]["field"] == "note"

    fixed = _correct(client, staff, rr["rr_number"], "serial re-read off the unit: it matches")
    assert fixed.status_code == 200, fixed.text
    shown = fixed.json()
    assert shown["status"] == "received"
    assert shown["repair_due"] is not None  # the repair clock runs
    assert _drafts(shown) == []  # the unbought return-to-sender draft is gone
    assert shown["history"][-1]["rule"] == "R-CORRECT"
    assert "serial re-read" in shown["history"][-1]["note"]
    assert "in_repair" in shown["allowed_moves"]
    run_jobs(settings, clock)
    kinds = [m["X-Notification"] for m in _outbox(settings)]
    assert kinds.count("receipt_rejected") == 1
    assert kinds.count("receipt_accepted") == 1

    back = _correct(client, staff, rr["rr_number"], "third-party unit after all")
    assert back.status_code == 200, back.text
    assert back.json()["status"] == "rejected"
    assert len(_drafts(back.json())) == 1
    run_jobs(settings, clock)
    rejections = [m for m in _outbox(settings) if m["X-Notification"] == "receipt_rejected"]
    assert len(rejections) == 2
    assert "third-party unit after all" in _body(rejections[-1])


def test_no_correction_for_a_unit_still_on_its_way(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]]
) -> None:
    rr = open_rr()
    resp = _correct(client, staff, rr["rr_number"], "mistake")
    assert resp.status_code == 409
    shown = client.get(f"{API}/repair-requests/{rr['rr_number']}", headers=staff).json()
    assert (shown["status"], shown["receipt_correction"]) == ("issued", None)


def test_cancelling_with_the_unit_on_site_returns_it_to_the_sender(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    settings: Settings, clock: Clock,
) -> None:  # fmt: skip
    rr = open_rr()
    received = _receive(client, staff, rr, rr["serial_number"])
    assert "cancelled" in received["allowed_moves"]
    path = f"{API}/repair-requests/{rr['rr_number']}/status"
    silent = client.post(path, json={"status": "cancelled"}, headers=staff)
    assert silent.status_code == 422  # an irreversible move needs its reason
    assert silent.json()["errors"][0]["field"] == "note"
    resp = client.post(path, json={"status": "cancelled", "note": "customer withdrew"},
                       headers=staff)  # fmt: skip
    assert resp.status_code == 200, resp.text
    shown = resp.json()
    assert shown["status"] == "rejected"  # not a bare cancel: the unit is still here
    assert shown["history"][-1]["rule"] == "R-CANCEL-ONSITE"
    (draft,) = _drafts(shown)
    assert draft["state"] == "draft"
    run_jobs(settings, clock)
    (msg,) = [m for m in _outbox(settings) if m["X-Notification"] == "rr_cancelled_on_site"]
    assert "customer withdrew" in _body(msg)
    assert "will be returned to you" in _body(msg)
    # the serial stays held by this RR until its unit has gone back (no second RR for it)
    again = client.post(f"{API}/repair-requests", headers=staff,
                        json=rr_payload(serial_number=rr["serial_number"]))  # fmt: skip
    assert again.status_code == 409
