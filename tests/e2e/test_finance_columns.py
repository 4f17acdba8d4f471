"""Issue 11 §4 in Chromium: a vendor-paid shipment's row on the finance page has every column
filled (the Vendor-paid column was blank), and the invoice import answers with a table."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import Server
from tests.e2e.test_pages import PASSWORD, _open_rr, _sign_in, _staff_token
from tests.e2e.test_payments import PARCEL

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def _labeled_vendor_paid(server: Server) -> tuple[str, dict[str, Any]]:
    token = _staff_token(server)
    headers = {"Authorization": f"Bearer {token}"}
    api = server.url + "/api/v1"
    rr = _open_rr(server, token, "E2E-FIN-1")["rr_number"]
    receipt = {"rr_marked_on_carton": True, "freight_collect": False, "visible_damage": False,
               "serial_number_seen": "E2E-FIN-1"}  # fmt: skip
    assert httpx.post(f"{api}/repair-requests/{rr}/receipt", json=receipt, headers=headers)
    for status in ("in_repair", "ready_to_ship"):
        httpx.post(f"{api}/repair-requests/{rr}/status", json={"status": status, "note": "e2e"},
                   headers=headers)  # fmt: skip
    out = httpx.post(f"{api}/repair-requests/{rr}/outbound-shipments", json={"parcel": PARCEL},
                     headers=headers, timeout=30)  # fmt: skip
    assert out.status_code == 201, out.text
    shipment = out.json()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and shipment.get("state") != "labeled":
        time.sleep(1)
        shipment = httpx.get(f"{api}/shipments/{shipment['id']}", headers=headers).json()
    assert shipment["state"] == "labeled", shipment
    return rr, shipment


def test_every_finance_column_is_filled_for_a_vendor_paid_label(server: Server, page: Any) -> None:
    rr, shipment = _labeled_vendor_paid(server)
    server.user("vera@example.com", "Vera Ledger", "finance", PASSWORD)
    page.goto(server.url + "/login")
    _sign_in(page, "vera@example.com")
    page.wait_for_url("**/finance")
    row = page.locator("#rows tr", has_text=rr)
    row.wait_for()
    headers = [h.strip() for h in page.locator("#ledger thead th").all_inner_texts()]
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    filled = dict(zip(headers, cells, strict=True))
    assert all(filled.values()), filled  # no blank column
    assert filled["Region"] == "North America"
    assert filled["Payer"] == "Vendor"
    assert filled["Tracking"] == shipment["tracking_number"]
    assert filled["Vendor-paid"].endswith("USD")
    assert float(filled["Vendor-paid"].split()[0]) > 0
    assert "_" not in filled["Carrier"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "finance-ledger.png"), full_page=True)
