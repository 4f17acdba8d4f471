"""A German customer pays a freight quote in Chromium with 3-D Secure test cards (issue 14),
against a real `freight serve` (sandbox payments, its card form and challenge)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.e2e.conftest import Server
from tests.e2e.test_pages import _staff_token

BERLIN = {
    "name": "Grete Müller", "street1": "Unter den Linden 1", "city": "Berlin",
    "postal_code": "10117", "country": "DE", "phone": "+49 30 1234",
}  # fmt: skip
PARCEL = {"length": 12, "width": 9, "height": 4, "distance_unit": "in", "weight": 3,
          "mass_unit": "lb"}  # fmt: skip
AUTH_FAILED = "We are unable to authenticate your payment method."


def _quoted_rr(server: Server, serial: str) -> tuple[str, dict[str, Any]]:
    """An RR for a Berlin customer, repaired, with an open freight quote."""
    headers = {"Authorization": f"Bearer {_staff_token(server)}"}
    api = server.url + "/api/v1"
    body = {
        "serial_number": serial, "part_number": "MAX-1000", "product_description": "MAXCS card",
        "customer": {"name": "Grete Müller", "email": "grete@example.de"},
        "return_address": BERLIN,
        "proof_of_purchase": {"document_type": "invoice", "reference": "INV-DE-1"},
    }  # fmt: skip
    resp = httpx.post(f"{api}/repair-requests", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    rr = resp.json()["rr_number"]
    receipt = {"rr_marked_on_carton": True, "freight_collect": False, "visible_damage": False,
               "serial_number_seen": serial}  # fmt: skip
    assert httpx.post(
        f"{api}/repair-requests/{rr}/receipt", json=receipt, headers=headers
    ).is_success
    for status in ("in_repair", "ready_to_ship"):
        moved = httpx.post(
            f"{api}/repair-requests/{rr}/status", json={"status": status, "note": "e2e"},
            headers=headers,
        )  # fmt: skip
        assert moved.is_success, moved.text
    out = httpx.post(
        f"{api}/repair-requests/{rr}/outbound-shipments", json={"parcel": PARCEL}, headers=headers,
        timeout=30,
    )  # fmt: skip
    assert out.status_code == 201, out.text
    return rr, out.json()["quote"]


def _to_quote(server: Server, page: Any, rr: str) -> None:
    page.goto(server.url + "/track")
    page.fill("#rr_number", rr)
    page.fill("#email", "grete@example.de")
    page.click("button[type=submit]")
    page.wait_for_url(f"**/track/{rr}")
    page.wait_for_selector("#quote:not([hidden])")
    page.click("#accept-quote button[type=submit]")
    page.wait_for_selector("#card-form-card:not([hidden])")


def _pay_with(page: Any, card: str) -> None:
    page.fill("#card-number", card)
    page.fill("#card-expiry", "12/34")
    page.fill("#card-cvc", "123")
    page.click("#card-pay")


def test_3ds_card_challenge_passed_shows_the_amount_authorized_then_captured(
    server: Server, page: Any
) -> None:
    rr, quote = _quoted_rr(server, "E2E-PAY-3DS-OK")
    amount = f"{quote['amount']['amount']} {quote['amount']['currency']}"
    _to_quote(server, page, rr)
    assert amount in (page.text_content("#card-amount") or "")
    _pay_with(page, "4000 0027 6000 3184")
    page.wait_for_selector("#challenge:not([hidden])")
    assert amount in (page.text_content("#challenge-text") or "")
    page.click("#challenge-pass")
    page.wait_for_selector("#payment-done:not([hidden])")
    done = page.text_content("#payment-done") or ""
    assert f"Authorized {amount} on your card" in done
    assert page.is_hidden("#quote")
    # The label is bought in the background, and the page's receipt shows the capture.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        page.reload()
        page.wait_for_selector("#summary:not([hidden])")
        receipt = page.text_content("#payments") if page.is_visible("#payments-card") else ""
        if "captured" in (receipt or ""):
            break
        time.sleep(1)
    assert f"Authorized {amount}" in (receipt or "")
    assert "captured" in (receipt or "")
    page.screenshot(path=str(server.data_dir / "paid-3ds.png"))
    # The sandbox signed and sent Stripe-shaped events to the service, which kept them.
    events = httpx.get(
        server.url + "/api/v1/webhook-events",
        headers={"Authorization": f"Bearer {_staff_token(server)}"},
    ).json()
    kinds = {e["event"] for e in events if e["dedup_key"].startswith("stripe:evt_sbx_")}
    assert "payment_intent.amount_capturable_updated" in kinds


def test_3ds_challenge_failed_keeps_the_quote_open_with_the_banks_message(
    server: Server, page: Any
) -> None:
    rr, _ = _quoted_rr(server, "E2E-PAY-3DS-FAIL")
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    _to_quote(server, page, rr)
    _pay_with(page, "4000002760003184")
    page.wait_for_selector("#challenge:not([hidden])")
    page.click("#challenge-cancel")  # the customer walks away from the bank's check
    page.wait_for_selector("#card-error:not([hidden])")
    assert "You did not complete the check with your bank" in (
        page.text_content("#card-error") or ""
    )
    _pay_with(page, "4000002760003184")  # tries again, and fails the check
    page.wait_for_selector("#challenge:not([hidden])")
    page.click("#challenge-fail")
    page.wait_for_selector("#card-error:not([hidden])")
    assert AUTH_FAILED in (page.text_content("#card-error") or "")
    page.reload()
    page.wait_for_selector("#quote:not([hidden])")  # still open: nothing was bought
    assert page.is_hidden("#payments-card")
    # A declined card is said so, in the bank's words; the customer stays on the quote.
    page.click("#accept-quote button[type=submit]")
    page.wait_for_selector("#card-form-card:not([hidden])")
    _pay_with(page, "4000 0000 0000 0002")
    page.wait_for_selector("#card-error:not([hidden])")
    page.wait_for_function("document.getElementById('card-error').textContent.includes('declined')")
    assert "Your card was declined." in (page.text_content("#card-error") or "")
    page.screenshot(path=str(server.data_dir / "failed-3ds.png"))
    # The sandbox form is served by the service itself: nothing is loaded from Stripe.
    assert [u for u in requested if "stripe.com" in u] == []
