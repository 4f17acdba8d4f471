"""Issue 11 §3 in Chromium: a customer whose unit arrived damaged and unmarked reads why it was
refused and what to do, in words (no raw codes), with a screenshot kept for CI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import Server
from tests.e2e.test_pages import _open_rr, _staff_token

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_first_visit_is_asked_to_look_up_not_told_access_expired(server: Server, page: Any) -> None:
    rr = _open_rr(server, _staff_token(server), "E2E-WORDS-0")
    page.goto(f"{server.url}/track/{rr['rr_number']}")
    page.wait_for_selector("#need-lookup:not([hidden])")
    text = page.text_content("#need-lookup") or ""
    assert "expired" not in text
    assert "look it up with its RR number" in text


def test_a_damaged_unmarked_arrival_says_why_and_to_file_with_the_carrier(
    server: Server, page: Any
) -> None:
    token = _staff_token(server)
    rr = _open_rr(server, token, "E2E-WORDS-1")["rr_number"]
    seen = {
        "rr_marked_on_carton": False, "freight_collect": False, "visible_damage": True,
        "serial_number_seen": "E2E-WORDS-1", "carrier": "ups",
        "tracking_number": "1Z999AA10123456784",
    }  # fmt: skip
    got = httpx.post(
        f"{server.url}/api/v1/repair-requests/{rr}/receipt", json=seen,
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip
    assert got.status_code in (200, 201), got.text
    page.goto(server.url + "/track")
    page.fill("#rr_number", rr)
    page.fill("#email", "ada@example.com")
    page.click("button[type=submit]")
    page.wait_for_url(f"**/track/{rr}")
    page.wait_for_selector("#rejection:not([hidden])")
    assert page.text_content("#status") == "Not accepted"
    reasons = page.text_content("#rejection-reasons") or ""
    assert reasons.strip()
    steps = page.text_content("#next-steps") or ""
    assert "File a damage claim with UPS by" in steps
    assert "Nothing to do" not in steps
    assert page.is_hidden("#carton-label")  # the unit has arrived: no carton label to print
    assert page.is_hidden("#register-inbound")
    body = page.inner_text("main")
    for code in ("awaiting_payment", "dhl_express", "SHIPPO_TRANSIT", "DELIVERED", "rejected"):
        assert code not in body
    _shot(page, "customer-rejected")
