"""In Chromium against a real `freight serve`: the policy and its "I agree", the request form,
the customer's status page, and staff approving from the review page (text on screen)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.conftest import Server
from tests.e2e.test_pages import PASSWORD, _sign_in, _staff_token

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _fill_request(page: Any, serials: list[str]) -> None:
    page.fill("#c-name", "Ada Lovelace")
    page.fill("#c-email", "ada@example.com")
    page.fill("#a-street1", "1 Infinite Loop")
    page.fill("#a-city", "Cupertino")
    page.fill("#a-state", "CA")
    page.fill("#a-postal", "95014")
    page.fill("#a-country", "US")
    for i, serial in enumerate(serials):
        if i:
            page.click("#add-unit")
        unit = page.locator(".unit").nth(i)
        unit.locator(".u-serial").fill(serial)
        unit.locator(".u-part").fill("MAX-1000")
        unit.locator(".u-desc").fill("MAXCS card")
        unit.locator(".u-fault").fill("No dial tone")
    page.fill("#p-ref", "INV-77")
    page.fill("#p-reseller", "Acme Phones")
    page.fill("#s-special", "Ship via FedEx")


def test_the_request_form_needs_the_policy_accepted_first(server: Server, page: Any) -> None:
    page.goto(server.url + "/request")
    assert "You must read and accept the Return Policy" in (page.text_content("#gate") or "")
    assert page.locator("#request-form").count() == 0
    page.click("#to-policy")
    page.wait_for_url("**/policy")
    assert "30 day No Questions Asked" in (page.text_content("#policy") or "")
    page.click("#agree")  # the box is required: the browser does not leave the page
    assert page.url.endswith("/policy")
    page.check("#agree-box")
    page.click("#agree")
    page.wait_for_selector("#request-form")
    assert "You accepted the Return Policy version" in (page.text_content("#request-form") or "")


def test_customer_requests_two_units_and_staff_approve_them(server: Server, page: Any) -> None:
    page.goto(server.url + "/policy")
    page.check("#agree-box")
    page.click("#agree")
    page.wait_for_selector("#request-form")
    _fill_request(page, ["E2E-ONL-1", "E2E-ONL-2"])
    page.set_input_files("#p-file", files=[{"name": "invoice.pdf", "mimeType": "application/pdf",
                                            "buffer": PDF}])  # fmt: skip
    page.click("#submit-request")
    page.wait_for_url("**/request/sub_*")
    page.wait_for_selector("#summary:not([hidden])")
    assert page.text_content("#status") == "submitted"
    assert "reviewing it" in (page.text_content("#status-text") or "")
    units = page.text_content("#units") or ""
    assert "E2E-ONL-1" in units
    assert "E2E-ONL-2" in units
    assert "invoice.pdf" in (page.text_content("#documents") or "")
    status_url = page.url

    staff_context = page.context.browser.new_context()
    staff = staff_context.new_page()
    server.user("rita@example.com", "Rita Review", "staff", PASSWORD)
    staff.goto(server.url + "/staff")
    staff.wait_for_url("**/login?next=/staff")
    _sign_in(staff, "rita@example.com")
    staff.wait_for_url("**/staff")
    staff.click("#review-link")
    staff.wait_for_url("**/staff/review")
    sub_id = status_url.rsplit("/", 1)[-1]
    staff.click(f"a[data-sub='{sub_id}']")
    staff.wait_for_selector("#review:not([hidden])")
    assert "E2E-ONL-1" in (staff.text_content("#r-units") or "")
    assert "Ship via FedEx" in (staff.text_content("#r-shipping") or "")
    staff.click("#approve")
    assert "Issue 2 Repair Request(s)" in (staff.text_content("#approve-confirm") or "")
    staff.click("#approve-yes")
    staff.wait_for_selector("#review-done:not([hidden])")
    done = staff.text_content("#review-done") or ""
    assert "Approved. Repair Requests: RR-" in done
    rr_numbers = [cell.strip() for cell in staff.locator("#r-units td.rr").all_text_contents()]
    assert len(rr_numbers) == 2
    assert all(n.startswith("RR-") and n in done for n in rr_numbers)
    staff.screenshot(path=str(server.data_dir / "review.png"))
    staff_context.close()

    page.goto(status_url)  # the customer comes back (token kept for this tab)
    page.wait_for_selector("#summary:not([hidden])")
    assert page.text_content("#status") == "approved"
    shown = page.text_content("#units") or ""
    assert all(n in shown for n in rr_numbers)
    with page.expect_download() as download:
        page.click(f"button[data-label='{rr_numbers[0]}']")
    assert download.value.suggested_filename == f"{rr_numbers[0]}-carton-label.pdf"
    page.screenshot(path=str(server.data_dir / "request-status.png"))


def test_a_refused_document_is_said_on_screen_and_nothing_is_sent(
    server: Server, page: Any
) -> None:
    page.goto(server.url + "/policy")
    page.check("#agree-box")
    page.click("#agree")
    page.wait_for_selector("#request-form")
    _fill_request(page, ["E2E-ONL-3"])
    page.set_input_files("#p-file", files=[{"name": "invoice.pdf", "mimeType": "application/pdf",
                                            "buffer": b"MZ not really a pdf"}])  # fmt: skip
    page.click("#submit-request")
    page.wait_for_selector("#request-error:not([hidden])")
    assert "is not a PDF, JPEG or PNG" in (page.text_content("#request-error") or "")
    token = _staff_token(server)
    queue = httpx.get(server.url + "/api/v1/rr-submissions",
                      headers={"Authorization": f"Bearer {token}"}).json()  # fmt: skip
    assert all(u["serial_number"] != "E2E-ONL-3" for s in queue["items"] for u in s["units"])


def test_the_emailed_link_opens_the_request_and_the_token_leaves_the_address_bar(
    server: Server, page: Any
) -> None:
    version = httpx.get(server.url + "/api/v1/policy").json()["version"]
    body = {
        "policy_version": version, "agreed": True,
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
        "return_address": {"name": "Ada Lovelace", "street1": "1 Infinite Loop",
                           "city": "Cupertino", "state": "CA", "postal_code": "95014",
                           "country": "US"},
        "units": [{"serial_number": "E2E-ONL-9", "part_number": "MAX-1000",
                   "fault_description": "Dead"}],
        "proof_of_purchase": {"document_type": "invoice", "reference": "INV-9"},
    }  # fmt: skip
    sub = httpx.post(server.url + "/api/v1/rr-submissions", json=body).json()
    page.goto(f"{server.url}/request/{sub['id']}#token={sub['token']}")
    page.wait_for_selector("#summary:not([hidden])")
    assert "E2E-ONL-9" in (page.text_content("#units") or "")
    assert "#token" not in page.url
    assert page.locator("#reply-form").is_hidden()  # no question asked yet
