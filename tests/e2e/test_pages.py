"""What customers, staff and finance see in a browser against a real `freight serve`."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.conftest import Server


def _staff_token(server: Server, role: str = "staff") -> str:
    return (
        server.freight("tokens", "create", "--role", role, "--name", f"e2e-{role}")
        .strip()
        .splitlines()[-1]
    )


def _open_rr(server: Server, token: str, serial: str, country: str = "US") -> dict[str, Any]:
    body = {
        "serial_number": serial,
        "part_number": "MAX-1000",
        "product_description": "MAXCS card",
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
        "return_address": {
            "name": "Ada Lovelace", "street1": "1 Infinite Loop", "city": "Cupertino",
            "state": "CA", "postal_code": "95014", "country": country,
        },
        "proof_of_purchase": {"document_type": "invoice", "reference": "INV-1"},
    }  # fmt: skip
    resp = httpx.post(
        server.url + "/api/v1/repair-requests",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 201, resp.text
    data: dict[str, Any] = resp.json()
    return data


def test_customer_looks_up_a_repair_and_sees_what_to_do(server: Server, page: Any) -> None:
    rr = _open_rr(server, _staff_token(server), "E2E-TRACK-1")
    page.goto(server.url + "/track")
    page.fill("#rr_number", rr["rr_number"].lower())
    page.fill("#email", "ADA@example.com")
    page.click("button[type=submit]")
    page.wait_for_url(f"**/track/{rr['rr_number']}")
    page.wait_for_selector("#summary:not([hidden])")
    assert page.text_content("#status") == "issued"
    steps = page.text_content("#next-steps") or ""
    assert "RR" in steps or "carton" in steps.lower()
    page.screenshot(path=str(server.data_dir / "track.png"))


def test_wrong_email_shows_a_clear_error_and_no_access(server: Server, page: Any) -> None:
    rr = _open_rr(server, _staff_token(server), "E2E-TRACK-2")
    page.goto(server.url + "/track")
    page.fill("#rr_number", rr["rr_number"])
    page.fill("#email", "mallory@example.com")
    page.click("button[type=submit]")
    page.wait_for_selector("#lookup-error:not([hidden])")
    assert "No Repair Request" in (page.text_content("#lookup-error") or "")
    assert page.url.endswith("/track")


def test_staff_console_lists_and_opens_an_rr(server: Server, page: Any) -> None:
    token = _staff_token(server)
    rr = _open_rr(server, token, "E2E-STAFF-1")
    page.goto(server.url + "/staff")
    page.fill("#token", token)
    page.click("#save-token")
    page.wait_for_selector(f"a[data-rr='{rr['rr_number']}']")
    page.click(f"a[data-rr='{rr['rr_number']}']")
    page.wait_for_selector("#detail:not([hidden])")
    assert rr["rr_number"] in (page.text_content("#d-title") or "")
    # Receiving desk from the browser: accept the unit.
    page.fill("#r-serial", "E2E-STAFF-1")
    page.click("#receipt button[type=submit]")
    page.wait_for_function("document.querySelector('#d-title').textContent.includes('received')")
    page.screenshot(path=str(server.data_dir / "staff.png"))


def test_finance_page_needs_a_finance_token(server: Server, page: Any) -> None:
    page.goto(server.url + "/finance")
    page.fill("#token", _staff_token(server, "staff"))
    page.click("#range button[type=submit]")
    page.wait_for_selector("#fin-error:not([hidden])")
    assert "finance" in (page.text_content("#fin-error") or "")
    page.fill("#token", _staff_token(server, "finance"))
    page.click("#range button[type=submit]")
    page.wait_for_selector("#chart svg")
