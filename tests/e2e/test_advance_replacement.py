"""Issue 17 §2 in Chromium against a real `freight serve`: staff offer an advance replacement;
the customer's page shows the offer, refuses a declined test card with the bank's reason, saves
a good one and then says, in words, by when the unit must go back; once a carrier scans the
unit and the hourly sweep runs, the page says the card is released."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.e2e.conftest import Server
from tests.e2e.test_pages import _open_rr, _staff_token

SERVER_ENV = {"FREIGHT_REPLACEMENT_PRICES": '{"MAX-1000": "249.00 USD"}'}


def _day(moment: datetime) -> str:
    return moment.strftime("%d %B %Y").lstrip("0")


def test_customer_saves_a_card_for_an_advance_replacement(server: Server, page: Any) -> None:
    token = _staff_token(server)
    headers, api = {"Authorization": f"Bearer {token}"}, server.url + "/api/v1"
    rr = _open_rr(server, token, "E2E-ADV-1")["rr_number"]
    offered = httpx.post(f"{api}/repair-requests/{rr}/advance-replacement",
                         json={"part_number": "MAX-1000"}, headers=headers)  # fmt: skip
    assert offered.status_code == 201, offered.text
    page.goto(server.url + "/track")
    page.fill("#rr_number", rr)
    page.fill("#email", "ada@example.com")
    page.click("button[type=submit]")
    page.wait_for_url(f"**/track/{rr}")
    page.wait_for_selector("#advance-form:not([hidden])")
    assert "An advance replacement is offered: save a card" in (
        page.text_content("#advance-summary") or ""
    )
    assert "249.00 USD" in (page.text_content("#advance-terms") or "")
    page.fill("#advance-card-number", "4000 0000 0000 0002")
    page.fill("#advance-card-expiry", "12/34")
    page.fill("#advance-card-cvc", "123")
    page.click("#advance-save")
    page.wait_for_selector("#advance-error:not([hidden])")
    assert page.text_content("#advance-error") == "Your card was declined."
    page.fill("#advance-card-number", "4242 4242 4242 4242")
    page.click("#advance-save")
    page.wait_for_selector("#advance-form", state="hidden")
    due = _day(datetime.now(UTC) + timedelta(days=30))
    summary = page.text_content("#advance-summary") or ""
    assert f"Card saved. Send the defective unit back by {due}" in summary
    assert "249.00 USD is charged to the card" in summary
    # The customer ships the unit; the carrier's first scan; the hourly sweep runs.
    register = httpx.post(f"{api}/repair-requests/{rr}/inbound-shipments",
                          json={"carrier": "shippo", "tracking_number": "SHIPPO_TRANSIT"},
                          headers=headers)  # fmt: skip
    assert register.status_code == 201, register.text
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if httpx.get(f"{api}/repair-requests/{rr}", headers=headers).json()[
            "first_carrier_scan_at"
        ]:
            break
        time.sleep(0.5)
    server.freight("tasks", "run", "advance.sweep")
    page.reload()
    page.wait_for_selector("#advance-card:not([hidden])")
    page.wait_for_function(
        "document.getElementById('advance-summary').textContent.includes('released')"
    )
    assert page.text_content("#advance-summary") == (
        "Your defective unit came back in time: the card is released, nothing is charged."
    )
    page.screenshot(path=str(server.data_dir / "advance-replacement.png"))
