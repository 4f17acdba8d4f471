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
    assert page.text_content("#status") == "Open"
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


PASSWORD = "correct horse battery"


def _sign_in(page: Any, email: str, password: str = PASSWORD) -> None:
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login button[type=submit]")


def test_staff_signs_in_uses_the_console_and_signs_out(server: Server, page: Any) -> None:
    server.user("dana@example.com", "Dana Desk", "staff", PASSWORD)
    rr = _open_rr(server, _staff_token(server), "E2E-STAFF-1")
    # Not signed in: the console sends the browser to the sign-in page.
    page.goto(server.url + "/staff")
    page.wait_for_url("**/login?next=/staff")
    assert page.text_content("h1") == "Sign in"
    assert page.locator("#token").count() == 0  # no token box anywhere
    _sign_in(page, "dana@example.com", "wrong password!")
    page.wait_for_selector("#login-error:not([hidden])")
    assert page.text_content("#login-error") == "The email or password is wrong."
    _sign_in(page, "DANA@example.com")
    page.wait_for_url("**/staff")
    assert page.text_content("#who-name") == "Dana Desk"
    assert page.text_content("#who-role") == "staff"
    # The console works on the session: list, open, log a receipt (a change: CSRF header sent).
    page.wait_for_selector(f"a[data-rr='{rr['rr_number']}']")
    page.click(f"a[data-rr='{rr['rr_number']}']")
    page.wait_for_selector("#detail:not([hidden])")
    assert rr["rr_number"] in (page.text_content("#d-title") or "")
    page.fill("#r-serial", "E2E-STAFF-1")
    page.click("#receipt button[type=submit]")
    page.wait_for_selector("#d-title:has-text('received')")
    assert "by Dana Desk" in (page.text_content("#d-history") or "")
    assert page.evaluate("() => Object.keys(localStorage).length") == 0
    page.screenshot(path=str(server.data_dir / "staff.png"))
    page.click("#sign-out")
    page.wait_for_url("**/login")
    assert page.locator("#who-name").count() == 0
    page.goto(server.url + "/staff")
    page.wait_for_url("**/login?next=/staff")


def test_finance_signs_in_and_sees_the_ledger(server: Server, page: Any) -> None:
    server.user("felix@example.com", "Felix Ledger", "finance", PASSWORD)
    page.goto(server.url + "/login")
    _sign_in(page, "felix@example.com")
    page.wait_for_url("**/finance")  # a finance account lands on its own page
    assert page.text_content("#who-name") == "Felix Ledger"
    assert page.text_content("#who-role") == "finance"
    page.wait_for_selector("#chart-summary:not(:empty)")
    assert page.evaluate("typeof window.Chart") == "function"  # the vendored Chart.js, no CDN
    assert page.locator("#fin-error").is_hidden()
    # An upload is a change: it goes with the session's CSRF token and is imported.
    csv = server.data_dir / "invoice.csv"
    csv.write_text(
        "tracking_number,carrier,invoice_number,invoice_date,amount,currency,reason\n"
        "1Z-NOT-OURS,ups,INV-E2E-1,2026-11-02,3.50,USD,address correction\n"
    )
    page.set_input_files("#invoice-file", str(csv))
    page.click("#invoice button[type=submit]")
    page.wait_for_selector("#invoice-summary:not(:empty)")
    summary = page.text_content("#invoice-summary") or ""
    assert "0 matched, 1 unmatched" in summary
    row = page.locator("#invoice-rows tr").first.inner_text()
    assert "Unmatched" in row
    assert "1Z-NOT-OURS" in row
    assert "3.50 USD" in row
    assert "{" not in summary + row  # a table, not raw JSON
    # A broken file: nothing imported, and each row error is listed with its row.
    csv.write_text(
        "tracking_number,carrier,invoice_number,invoice_date,amount,currency,reason\n"
        "1Z-NOT-OURS,ups,INV-E2E-2,2026-13-45,abc,USD,oops\n"
    )
    page.set_input_files("#invoice-file", str(csv))
    page.click("#invoice button[type=submit]")
    page.wait_for_selector("#invoice-summary:has-text('Nothing imported')")
    errors = page.locator("#invoice-rows").inner_text()
    assert "Row error" in errors
    assert "invoice_date" in errors
    # The repair desk is not for finance: the page says so instead of failing calls.
    page.goto(server.url + "/staff")
    assert "This page is for the staff role" in (page.text_content("#wrong-role") or "")
    assert "Felix Ledger (finance)" in (page.text_content("#wrong-role") or "")
    page.click("#sign-out")
    page.wait_for_url("**/login")
    page.goto(server.url + "/finance")
    page.wait_for_url("**/login?next=/finance")


def test_a_session_that_ends_sends_the_page_to_login(server: Server, page: Any) -> None:
    server.user("erin@example.com", "Erin Early", "staff", PASSWORD)
    page.goto(server.url + "/login?next=/staff")
    _sign_in(page, "erin@example.com")
    page.wait_for_url("**/staff")  # (also matches /login?next=/staff: wait for the console)
    page.wait_for_selector("#who-name")
    server.freight("users", "disable", "--email", "erin@example.com")
    page.click("#filter button[type=submit]")  # the next API call gets 401
    page.wait_for_url("**/login?next=%2Fstaff")
    assert page.text_content("h1") == "Sign in"


def test_set_password_link_from_the_command_line(server: Server, page: Any) -> None:
    out = server.freight(
        "users", "create", "--email", "nia@example.com", "--name", "Nia New", "--role", "staff"
    )
    token = out.strip().splitlines()[-1].split("#token=")[1]
    page.goto(f"{server.url}/set-password#token={token}")
    page.fill("#password", "short")
    page.fill("#password2", "short")
    page.click("#set-password button[type=submit]")
    page.wait_for_selector("#set-error:not([hidden])")
    assert "at least 12 characters" in (page.text_content("#set-error") or "")
    page.fill("#password", PASSWORD)
    page.fill("#password2", PASSWORD)
    page.click("#set-password button[type=submit]")
    page.wait_for_url("**/staff")
    assert page.text_content("#who-name") == "Nia New"
