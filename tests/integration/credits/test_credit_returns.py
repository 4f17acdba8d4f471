"""Credit returns end to end (P-CREDIT): web-store purchases only; an accepted receipt refunds
price − 20 % once through the payments port; damaged / late / repacked returns go back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import pytest
from sqlalchemy.orm import Session

from freight.credits.service import pay_refund
from freight.db import session_scope
from freight.finance.rules import COLUMNS
from freight.money import Money
from freight.payments.port import PaymentsPort, PaymentUnavailable, Settlement
from freight.settings import Settings
from tests.integration.shipments.flow import Flow
from tests.integration.submissions.helpers import (
    bearer,
    body_of,
    credit_body,
    emails_of,
    submit,
)

API = "/api/v1"
WEB_ORDER = {
    "document_type": "web_order",
    "reference": "WEB-2001",
    "purchase_date": "2026-10-20",
    "price": {"amount": "249.99", "currency": "USD"},
    "payment_reference": "pi_web_2001",
}


def _credit_rr(flow: Flow, *, received_days_ago: int = 10, **over: Any) -> str:
    received = flow.clock.now - timedelta(days=received_days_ago)
    return flow.open_rr(
        kind="credit_return",
        proof_of_purchase=dict(WEB_ORDER),
        customer_received_at=received.isoformat(),
        **over,
    )


def _refunds(flow: Flow, ref: str = "pi_web_2001") -> list[dict[str, Any]]:
    return flow.payments.refunds(ref)


def test_an_accepted_credit_return_refunds_price_less_the_fee_once(
    flow: Flow, settings: Settings
) -> None:
    rr = _credit_rr(flow)
    receipt = flow.receive(rr, original_packaging=True)
    assert receipt["accepted"] is True
    assert receipt["repair_request"]["status"] == "received"
    assert receipt["repair_request"]["credit_refund"]["status"] == "pending"
    flow.drain()
    flow.drain()
    data = flow.rr(rr)
    assert data["status"] == "refunded"
    refund = data["credit_refund"]
    assert refund["status"] == "refunded"
    assert refund["price"] == {"amount": "249.99", "currency": "USD"}
    assert refund["restocking_fee"] == {"amount": "50.00", "currency": "USD"}
    assert refund["refund"] == {"amount": "199.99", "currency": "USD"}
    (op,) = _refunds(flow)
    assert (op["amount"], op["currency"], op["key"]) == (19999, "USD", f"credit-refund:{rr}")
    assert data["history"][-1]["rule"] == "P-CREDIT"
    (msg,) = emails_of(settings, "credit_refunded")
    text = body_of(msg)
    assert "199.99 USD" in text
    assert "50.00 USD" in text
    assert "249.99 USD" in text
    assert emails_of(settings, "receipt_accepted") == []
    page = flow.client.get(f"{API}/track/{rr}", headers=flow.customer(rr)).json()
    assert page["status"] == "refunded"
    assert page["refund"]["refund"]["amount"] == "199.99"


@pytest.mark.parametrize(
    ("days_ago", "inspection", "code"),
    [
        (10, {"visible_damage": True, "original_packaging": True}, "damaged"),
        (31, {"original_packaging": True}, "credit_window_expired"),
        (10, {"original_packaging": False}, "not_original_packaging"),
    ],
)
def test_damaged_late_or_repacked_returns_go_back_without_a_refund(
    flow: Flow, days_ago: int, inspection: dict[str, Any], code: str
) -> None:
    rr = _credit_rr(flow, received_days_ago=days_ago)
    receipt = flow.receive(rr, **inspection)
    assert receipt["accepted"] is False
    assert code in [r["code"] for r in receipt["reasons"]]
    assert all(r["rule"] in ("P-CREDIT", "P-REJECT") for r in receipt["reasons"])
    flow.drain()
    data = flow.rr(rr)
    assert data["status"] == "rejected"
    assert data["credit_refund"] is None
    assert [s["purpose"] for s in data["shipments"]] == ["return_to_sender"]
    assert _refunds(flow) == []


def test_a_crash_after_the_processor_refunded_never_refunds_twice(flow: Flow) -> None:
    rr = _credit_rr(flow)
    record_id = flow.receive(rr, original_packaging=True)["repair_request"]["rr_number"]
    assert record_id == rr
    from freight.credits.models import CreditRefund

    with session_scope(flow.factory) as s:
        refund_id = s.query(CreditRefund).one().id
    # The worker refunds, then dies before its transaction commits.
    crashed: Session = flow.factory()
    try:
        pay_refund(crashed, refund_id=refund_id, payments=flow.payments, now=flow.clock.now)
    finally:
        crashed.rollback()
        crashed.close()
    assert flow.rr(rr)["status"] == "received"
    assert len(_refunds(flow)) == 1
    # The outbox job runs (again) and replays the same refund instead of making another.
    flow.drain()
    flow.drain()
    assert flow.rr(rr)["status"] == "refunded"
    assert len(_refunds(flow)) == 1
    assert flow.payments.operations("refund")[0]["amount"] == 19999


class _DownOnce:
    """The processor unreachable on the first refund call (a timeout), then back."""

    def __init__(self, real: Any) -> None:
        self.real, self.calls, self.name = real, 0, real.name

    def refund(self, ref: str, amount: Money, *, idempotency_key: str) -> Settlement:
        self.calls += 1
        if self.calls == 1:
            raise PaymentUnavailable("timed out")
        result: Settlement = self.real.refund(ref, amount, idempotency_key=idempotency_key)
        return result


def test_the_processor_down_leaves_the_refund_pending_for_the_retry(flow: Flow) -> None:
    rr = _credit_rr(flow)
    flow.receive(rr, original_packaging=True)
    from freight.credits.models import CreditRefund

    with session_scope(flow.factory) as s:
        refund_id = s.query(CreditRefund).one().id
    port = cast(PaymentsPort, _DownOnce(flow.payments))  # refund is all pay_refund calls
    with pytest.raises(PaymentUnavailable), session_scope(flow.factory) as s:
        pay_refund(s, refund_id=refund_id, payments=port, now=flow.clock.now)
    assert flow.rr(rr)["credit_refund"]["status"] == "pending"
    with session_scope(flow.factory) as s:
        pay_refund(s, refund_id=refund_id, payments=port, now=flow.clock.now)
    assert flow.rr(rr)["status"] == "refunded"
    assert len(_refunds(flow)) == 1


def test_a_refund_the_processor_refuses_is_recorded_and_the_rr_stays_received(flow: Flow) -> None:
    rr = _credit_rr(flow)
    flow.receive(rr, original_packaging=True)
    from freight.credits.models import CreditRefund

    with session_scope(flow.factory) as s:
        record = s.query(CreditRefund).one()
        record.payment_reference = "pi_sbx_doesnotexist"  # a sandbox intent that was never made
    flow.drain()
    data = flow.rr(rr)
    assert data["status"] == "received"
    assert data["credit_refund"]["status"] == "failed"
    assert "No such payment_intent" in data["credit_refund"]["failure_reason"]


def test_finance_sees_the_refund_and_the_fee(flow: Flow, make_token: Any) -> None:
    rr = _credit_rr(flow)
    flow.receive(rr, original_packaging=True)
    flow.drain()
    finance = make_token("finance")
    ledger = flow.client.get(f"{API}/finance/reconciliation", headers=finance).json()
    (row,) = [r for r in ledger["rows"] if r["purpose"] == "credit_refund"]
    assert row["rr_number"] == rr
    assert (row["credit_price"], row["restocking_fee"], row["credit_refund"]) == (
        "249.99",
        "50.00",
        "199.99",
    )
    assert row["shipment_state"] == "refunded"
    assert row["status"] == "reconciled"
    assert ledger["credit_refunds"] == {
        "USD": {"count": "1", "refunded": "199.99", "restocking_fees": "50.00"}
    }
    csv = flow.client.get(f"{API}/finance/reconciliation?format=csv", headers=finance).text
    header, *lines = csv.splitlines()
    assert header.split(",") == list(COLUMNS)
    (line,) = [x for x in lines if rr in x]
    cells = dict(zip(COLUMNS, line.split(","), strict=True))
    assert (cells["credit_refund"], cells["restocking_fee"]) == ("199.99", "50.00")


def test_an_online_credit_return_goes_from_request_to_refund(
    flow: Flow, settings: Settings
) -> None:
    body = credit_body(flow.client)
    body["customer_received_at"] = (flow.clock.now - timedelta(days=5)).isoformat()
    sub = submit(flow.client, body)
    approved = flow.client.post(
        f"{API}/rr-submissions/{sub['id']}/approve", json={}, headers=flow.staff
    ).json()
    rr = approved["units"][0]["rr_number"]
    assert flow.rr(rr)["kind"] == "credit_return"
    flow.receive(rr, original_packaging=True)
    flow.drain()
    assert flow.rr(rr)["status"] == "refunded"
    # 249.99 − 20 % (49.998, rounded half-up to 50.00) = 199.99
    assert flow.payments.refunds("pi_web_1001")[0]["amount"] == 19999
    mine = flow.client.get(f"{API}/rr-submissions/{sub['id']}", headers=bearer(sub["token"])).json()
    assert mine["units"][0]["rr_number"] == rr
    assert emails_of(settings, "credit_refunded")


def test_without_a_receipt_date_the_window_runs_from_the_purchase_date(flow: Flow) -> None:
    pop = dict(WEB_ORDER, purchase_date=(flow.clock.now - timedelta(days=40)).date().isoformat())
    rr = flow.open_rr(kind="credit_return", proof_of_purchase=pop)
    receipt = flow.receive(rr, original_packaging=True)
    assert receipt["accepted"] is False
    assert "credit_window_expired" in [r["code"] for r in receipt["reasons"]]


def test_a_credit_return_cancelled_before_the_refund_job_ran_is_not_refunded(flow: Flow) -> None:
    rr = _credit_rr(flow)
    flow.receive(rr, original_packaging=True)
    flow.move(rr, "cancelled")
    flow.drain()
    data = flow.rr(rr)
    # the unit is at the depot: the cancel returns it to the sender (R-CANCEL-ONSITE), unpaid
    assert data["status"] == "rejected"
    assert [s["purpose"] for s in data["shipments"] if s["direction"] == "outbound"] == [
        "return_to_sender"
    ]
    assert data["credit_refund"]["status"] == "failed"
    assert _refunds(flow) == []
