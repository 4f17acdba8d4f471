"""The repair desk corrects a receipt and cancels with the unit on site — each through a
confirmation dialog that asks for the reason (issue 11 §2)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.conftest import Server
from tests.e2e.test_pages import PASSWORD, _open_rr, _sign_in, _staff_token


def _confirm(page: Any, note: str) -> None:
    page.wait_for_selector("#confirm-move[open]")
    page.fill("#cm-note", note)
    page.click("#cm-ok")
    page.wait_for_selector("#confirm-move", state="hidden")


def test_a_typo_rejection_is_corrected_and_a_cancel_returns_the_unit(
    server: Server, page: Any
) -> None:
    server.user("rita@example.com", "Rita Receiving", "staff", PASSWORD)
    rr = _open_rr(server, _staff_token(server), "E2E-DESK-7")["rr_number"]
    page.goto(server.url + "/login?next=/staff")
    _sign_in(page, "rita@example.com")
    page.wait_for_selector(f"a[data-rr='{rr}']")
    page.click(f"a[data-rr='{rr}']")
    page.wait_for_selector("#detail:not([hidden])")
    page.fill("#r-serial", "E2E-DESK-1")  # one digit mistyped
    page.click("#receipt button[type=submit]")
    page.wait_for_selector("#confirm-move[open]")  # a mismatch asks before it rejects
    assert "(E2E-DESK-1) is not the RR's (E2E-DESK-7)" in (page.text_content("#cm-text") or "")
    _confirm(page, "serial as read off the label")
    page.wait_for_selector("#d-title:has-text('rejected')")

    page.click("button[data-correct='received']")
    page.wait_for_selector("#confirm-move[open]")
    assert "return-to-sender draft is dropped" in (page.text_content("#cm-text") or "")
    page.click("#cm-ok")  # no reason given: the dialog stays and says so
    assert page.locator("#confirm-move[open]").count() == 1
    _confirm(page, "serial re-read off the unit: E2E-DESK-7")
    page.wait_for_selector("#d-title:has-text('received')")
    history = page.text_content("#d-history") or ""
    assert "Receipt corrected to received: serial re-read off the unit" in history
    assert "(R-CORRECT)" in history
    assert "return_to_sender" not in (page.text_content("#d-shipments") or "")

    page.click("button[data-move='cancelled']")
    page.wait_for_selector("#confirm-move[open]")
    assert "return to the sender is prepared" in (page.text_content("#cm-text") or "")
    page.click("#cm-cancel")  # changed their mind: nothing happens
    page.wait_for_selector("#confirm-move", state="hidden")
    assert "received" in (page.text_content("#d-title") or "")
    page.click("button[data-move='cancelled']")
    _confirm(page, "customer withdrew the repair")
    page.wait_for_selector("#d-title:has-text('rejected')")
    assert "(R-CANCEL-ONSITE)" in (page.text_content("#d-history") or "")
    assert "return_to_sender" in (page.text_content("#d-shipments") or "")
    page.screenshot(path=str(server.data_dir / "desk-corrections.png"))


def test_the_open_rr_form_takes_company_street2_phone_and_the_proof_type(
    server: Server, page: Any
) -> None:
    server.user("olga@example.com", "Olga Opens", "staff", PASSWORD)
    token = _staff_token(server)
    page.goto(server.url + "/login?next=/staff")
    _sign_in(page, "olga@example.com")
    page.wait_for_selector("#open-rr")
    for field, value in {
        "#f-serial": "E2E-FORM-1", "#f-part": "MAX-1000", "#f-product": "MAXCS card",
        "#f-name": "Grace Hopper", "#f-email": "grace@example.com", "#f-phone": "+1 650 555 0100",
        "#f-company": "Navy Labs", "#f-street": "1 Harbor Way", "#f-street2": "Building 7",
        "#f-city": "Arlington", "#f-state": "VA", "#f-postal": "22202", "#f-country": "US",
        "#f-pop": "PS-4471",
    }.items():  # fmt: skip
        page.fill(field, value)
    page.select_option("#f-pop-type", "packing_slip")
    page.click("#open-rr button[type=submit]")
    page.wait_for_selector("#d-title:has-text('issued')")
    rr = (page.text_content("#d-title") or "").split(" ")[0]
    shown = httpx.get(f"{server.url}/api/v1/repair-requests/{rr}",
                      headers={"Authorization": f"Bearer {token}"}).json()  # fmt: skip
    address = shown["return_address"]
    assert (address["company"], address["street2"]) == ("Navy Labs", "Building 7")
    assert shown["customer"]["phone"] == "+1 650 555 0100"
    assert shown["proof_of_purchase"]["document_type"] == "packing_slip"
    assert "Cupertino" not in (page.text_content("#d-summary") or "")
    assert "Arlington" in (page.text_content("#d-summary") or "")


def test_the_quote_and_card_state_are_fields_on_the_rr(server: Server, page: Any) -> None:
    from tests.e2e.test_payments import _quoted_rr

    server.user("quinn@example.com", "Quinn Quotes", "staff", PASSWORD)
    rr, quote = _quoted_rr(server, "E2E-DESK-Q1")
    page.goto(server.url + "/login?next=/staff")
    _sign_in(page, "quinn@example.com")
    page.wait_for_selector(f"a[data-rr='{rr}']")
    page.click(f"a[data-rr='{rr}']")
    page.wait_for_selector("#d-money:not([hidden])")
    fields = page.text_content("#d-money") or ""
    amount = f"{quote['amount']['amount']} {quote['amount']['currency']}"
    assert f"Freight quote{amount}" in fields
    assert "Cardnot given yet" in fields
    assert "Captured—" in fields


def test_a_claim_opens_with_its_details_and_moves_with_a_reason(server: Server, page: Any) -> None:
    token = _staff_token(server)
    rr = _open_rr(server, token, "E2E-CLAIM-1")["rr_number"]
    seen = {
        "rr_marked_on_carton": True, "freight_collect": False, "visible_damage": True,
        "serial_number_seen": "E2E-CLAIM-1", "carrier": "ups",
        "tracking_number": "1Z999AA10123456784",
    }  # fmt: skip
    got = httpx.post(f"{server.url}/api/v1/repair-requests/{rr}/receipt", json=seen,
                     headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert got.is_success, got.text
    server.user("cleo@example.com", "Cleo Claims", "staff", PASSWORD)
    page.goto(server.url + "/login?next=/staff")
    _sign_in(page, "cleo@example.com")
    row = page.locator("#claim-rows tr", has_text=rr)
    row.wait_for()
    assert "UPS" in (row.text_content() or "")
    row.locator("button[data-claim-open]").click()
    page.wait_for_selector("#claim-detail:not([hidden])")
    fields = page.text_content("#c-fields") or ""
    assert "Who filessender" in fields
    assert "CarrierUPS" in fields
    assert page.locator("#c-evidence li").count() > 0
    assert "None sent." in (page.text_content("#c-photos") or "")
    page.click("button[data-claim-to='filed']")
    _confirm(page, "the sender filed with UPS by phone, ref 44-1")
    page.wait_for_selector("#c-title:has-text('filed')")
    assert "the sender filed with UPS by phone" in (page.text_content("#c-notes") or "")
    page.select_option("#claim-filter", "filed")
    page.locator("#claim-rows tr", has_text=rr).wait_for()
    page.click(f"#c-title a[data-rr='{rr}']")  # the link to its RR
    page.wait_for_selector(f"#d-title:has-text('{rr}')")


def test_a_scanner_opens_the_rr_and_a_matching_serial_is_received_at_once(
    server: Server, page: Any
) -> None:
    server.user("sam@example.com", "Sam Scanner", "staff", PASSWORD)
    rr = _open_rr(server, _staff_token(server), "E2E-SCAN-1")["rr_number"]
    page.goto(server.url + "/login?next=/staff")
    _sign_in(page, "sam@example.com")
    page.wait_for_selector("#scan-rr")
    page.fill("#scan-rr", "RR-NOPE0000")
    page.press("#scan-rr", "Enter")
    page.wait_for_selector("#scan-error:not([hidden])")
    assert "does not exist" in (page.text_content("#scan-error") or "")
    page.fill("#scan-rr", rr.lower())  # as a scanner types it, then Enter
    page.press("#scan-rr", "Enter")
    page.wait_for_selector(f"#d-title:has-text('{rr}')")
    page.wait_for_function("() => document.activeElement.id === 'r-serial'")  # ready to read
    page.keyboard.type("e2e-scan-1")  # read off the unit (case and dashes do not matter)
    page.keyboard.press("Enter")
    page.wait_for_selector("#d-title:has-text('received')")
    assert page.locator("#confirm-move[open]").count() == 0  # nothing to confirm: it matches


def test_a_bought_label_is_voided_after_a_confirmation(server: Server, page: Any) -> None:
    from tests.e2e.test_finance_columns import _labeled_vendor_paid

    rr, shipment = _labeled_vendor_paid(server)
    server.user("vic@example.com", "Vic Void", "staff", PASSWORD)
    page.goto(server.url + "/login?next=/staff")
    _sign_in(page, "vic@example.com")
    page.wait_for_selector(f"a[data-rr='{rr}']")
    page.click(f"a[data-rr='{rr}']")
    button = page.locator(f"button[data-void='{shipment['id']}']")
    button.wait_for()
    button.click()
    page.wait_for_selector("#confirm-move[open]")
    assert "refund the unused label" in (page.text_content("#cm-text") or "")
    assert page.locator("#cm-note").is_hidden()
    page.click("#cm-ok")
    page.wait_for_selector("#confirm-move", state="hidden")
    page.wait_for_selector(f"button[data-void='{shipment['id']}']", state="detached")
    assert "void" in (page.text_content("#d-shipments") or "")
