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
    page.fill("#r-serial", "E2E-DESK-1")  # one digit mistyped: rejected
    page.click("#receipt button[type=submit]")
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
