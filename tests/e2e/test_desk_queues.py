"""The console opens on the day's queues: counts, and RR links that open the RR (issue 11 §2)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.conftest import Server
from tests.e2e.test_pages import PASSWORD, _open_rr, _sign_in, _staff_token


def test_the_console_shows_the_days_queues_and_opens_an_rr_from_them(
    server: Server, page: Any
) -> None:
    server.user("quinn@example.com", "Quinn Queue", "staff", PASSWORD)
    token = _staff_token(server)
    rr = _open_rr(server, token, "E2E-QUEUE-1")
    resp = httpx.post(
        f"{server.url}/api/v1/repair-requests/{rr['rr_number']}/receipt",
        json={"rr_marked_on_carton": True, "freight_collect": False, "visible_damage": False,
              "third_party_equipment": False, "serial_number_seen": "E2E-QUEUE-1"},
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip
    assert resp.status_code == 200, resp.text
    page.goto(server.url + "/login?next=/staff")
    _sign_in(page, "quinn@example.com")
    arrived = "#queues details[data-queue='arrived_today']"
    page.wait_for_selector(f"{arrived} a[data-rr='{rr['rr_number']}']")
    assert page.text_content(f"{arrived} [data-count]") == "1"
    assert page.text_content("#queues details[data-queue='ready_to_ship'] [data-count]") == "0"
    repair = "#queues details[data-queue='in_repair']"
    assert "repair due" in (page.text_content(repair) or "")
    page.click(f"{repair} a[data-rr='{rr['rr_number']}']")
    page.wait_for_selector(f"#d-title:has-text('{rr['rr_number']}')")
    assert "received" in (page.text_content("#d-title") or "")
