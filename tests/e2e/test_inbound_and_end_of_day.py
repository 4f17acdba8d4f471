"""Issue 17 in Chromium against a real `freight serve`: a customer outside North America buys
an inbound return label with a sandbox test card and sees the RR number and the tracking; the
shipping desk closes the day into a manifest and books a pickup."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_pages import PASSWORD, _open_rr, _sign_in, _staff_token
from tests.e2e.test_payments import BERLIN, PARCEL


def _zone_where_it_is_ten_am(now: datetime) -> str:
    """A fixed-offset zone in which the depot's clock reads about 10:00 right now, so the day
    still has business hours left at any wall-clock time (Etc/GMT-N is UTC+N)."""
    offset = 10 - now.hour
    if offset < -12:
        offset += 24
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/UTC"


DEPOT_ZONE = _zone_where_it_is_ten_am(datetime.now(UTC))
DEPOT = ZoneInfo(DEPOT_ZONE)
# The server under test runs its depot calendar there, open every day: the end-of-day test
# runs in CI whatever the time (it used to skip outside Los Angeles business hours).
SERVER_ENV = {"FREIGHT_TIMEZONE": DEPOT_ZONE, "FREIGHT_BUSINESS_WEEKDAYS": "0,1,2,3,4,5,6"}


def _headers(server: Server) -> dict[str, str]:
    return {"Authorization": f"Bearer {_staff_token(server)}"}


def test_customer_in_germany_buys_an_inbound_label_by_card(server: Server, page: Any) -> None:
    api = server.url + "/api/v1"
    body = {
        "serial_number": "E2E-INLABEL-1", "part_number": "MAX-1000",
        "product_description": "MAXCS card",
        "customer": {"name": "Grete Müller", "email": "grete@example.de"},
        "return_address": BERLIN,
        "proof_of_purchase": {"document_type": "invoice", "reference": "INV-DE-2"},
    }  # fmt: skip
    made = httpx.post(f"{api}/repair-requests", json=body, headers=_headers(server))
    assert made.status_code == 201, made.text
    rr = made.json()["rr_number"]
    page.goto(server.url + "/track")
    page.fill("#rr_number", rr)
    page.fill("#email", "grete@example.de")
    page.click("button[type=submit]")
    page.wait_for_url(f"**/track/{rr}")
    page.wait_for_selector("#inbound-label-card:not([hidden])")
    assert "Buy a prepaid return label" in (page.text_content("#inbound-label-state") or "")
    page.click("#inbound-label-rate")
    page.wait_for_selector("#quote:not([hidden])")
    rates = page.text_content("#inbound-label-rates") or ""
    assert "USD" in rates
    quote_text = page.text_content("#quote-text") or ""
    assert "USD" in quote_text
    assert "pay the label by card" in (page.text_content("#inbound-label-state") or "")
    page.click("#accept-quote button[type=submit]")
    page.wait_for_selector("#card-form-card:not([hidden])")
    page.fill("#card-number", "4242 4242 4242 4242")
    page.fill("#card-expiry", "12/34")
    page.fill("#card-cvc", "123")
    page.click("#card-pay")
    page.wait_for_selector("#payment-done:not([hidden])")
    assert "Authorized" in (page.text_content("#payment-done") or "")
    # The label is bought in the background; the page then shows its carrier and tracking.
    state = ""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        page.reload()
        page.wait_for_selector("#inbound-label-card:not([hidden])")
        state = page.text_content("#inbound-label-state") or ""
        if "Return label bought" in state:
            break
        time.sleep(1)
    label = httpx.get(f"{api}/track/{rr}/inbound-label", headers=_headers(server)).json()
    assert label["state"] == "labeled"
    tracking = label["tracking_number"]
    assert tracking
    assert f"Return label bought: {label['carrier']} {tracking}" in state
    assert f"(reference {rr})" in state
    # Registered as the RR's inbound tracking without the customer typing it (the page's next
    # poll at the latest: an answer may be up to 5 s old, freight/read_versions.py MAX_AGE).
    deadline = time.monotonic() + 15
    while tracking not in (page.text_content("#inbound") or "") and time.monotonic() < deadline:
        time.sleep(1)
        page.reload()
        page.wait_for_selector("#inbound-label-card:not([hidden])")
    assert tracking in (page.text_content("#inbound") or "")
    assert page.text_content("#status") == "Open"
    page.screenshot(path=str(server.data_dir / "inbound-label.png"))


def _labeled_outbound(server: Server) -> str:
    headers, api = _headers(server), server.url + "/api/v1"
    rr = _open_rr(server, headers["Authorization"].split()[1], "E2E-EOD-1")["rr_number"]
    receipt = {"rr_marked_on_carton": True, "freight_collect": False, "visible_damage": False,
               "serial_number_seen": "E2E-EOD-1"}  # fmt: skip
    assert httpx.post(f"{api}/repair-requests/{rr}/receipt", json=receipt, headers=headers)
    for status in ("in_repair", "ready_to_ship"):
        moved = httpx.post(f"{api}/repair-requests/{rr}/status",
                           json={"status": status, "note": "e2e"}, headers=headers)  # fmt: skip
        assert moved.is_success, moved.text
    out = httpx.post(f"{api}/repair-requests/{rr}/outbound-shipments", json={"parcel": PARCEL},
                     headers=headers, timeout=30)  # fmt: skip
    assert out.status_code == 201, out.text
    shipment = out.json()["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        got = httpx.get(f"{api}/shipments/{shipment}", headers=headers).json()
        if got["state"] == "labeled":
            return str(got["tracking_number"])
        time.sleep(0.5)
    pytest.fail("the outbound label was not bought")


def test_staff_closes_the_day_and_books_a_pickup(server: Server, page: Any) -> None:
    local = datetime.now(UTC).astimezone(DEPOT)
    assert 8 <= local.hour < 16, f"the depot clock of the server under test reads {local}"
    tracking = _labeled_outbound(server)
    server.user("eve@example.com", "Eve Desk", "staff", PASSWORD)
    page.goto(server.url + "/login")
    _sign_in(page, "eve@example.com")
    page.wait_for_url("**/staff")
    row = "#eod-rows tr[data-carrier=usps]"
    page.wait_for_selector(row)
    cells = page.locator(f"{row} td").all_text_contents()
    assert cells[:4] == ["usps", "1", "0", "1"]
    assert "business hours 08:00–17:00" in (page.text_content("#eod-summary") or "")
    page.click(f"{row} button[data-close=usps]")
    page.wait_for_selector("#eod-done:not([hidden])")
    assert "Manifest for usps: 1 label(s), pending." == page.text_content("#eod-done")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        page.reload()
        page.wait_for_selector(row)
        cells = page.locator(f"{row} td").all_text_contents()
        if "closed" in cells[4]:
            break
        time.sleep(1)
    assert cells[1:5] == ["1", "1", "0", "1 label(s) closed"]
    assert page.locator(f"{row} button[data-close]").count() == 0  # nothing left to close
    # A pickup for the rest of the afternoon, in company time.
    start = (local + timedelta(minutes=10)).strftime("%H:%M")
    page.select_option("#p-carrier", "usps")
    page.fill("#p-start", start)
    page.fill("#p-end", "17:00")
    page.click("#pickup-form button[type=submit]")
    page.wait_for_selector("#eod-done:not([hidden])")
    page.wait_for_function(
        "document.getElementById('eod-done').textContent.startsWith('Pickup for usps:')"
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        page.reload()
        page.wait_for_selector(row)
        cells = page.locator(f"{row} td").all_text_contents()
        if "confirmed" in cells[5]:
            break
        time.sleep(1)
    assert cells[5].startswith(f"{start}–17:00 confirmed (SBX")
    # A pickup after closing is refused on screen, naming the field.
    page.fill("#p-start", "18:00")
    page.fill("#p-end", "19:00")
    page.click("#pickup-form button[type=submit]")
    page.wait_for_selector("#eod-error:not([hidden])")
    assert "requested_start_time" in (page.text_content("#eod-error") or "")
    manifests = httpx.get(f"{server.url}/api/v1/end-of-day", headers=_headers(server)).json()
    usps = next(c for c in manifests["carriers"] if c["carrier"] == "usps")
    assert usps["labels"][0]["tracking_number"] == tracking
    page.screenshot(path=str(server.data_dir / "end-of-day.png"))
