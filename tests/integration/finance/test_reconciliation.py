"""Finance: the freight ledger against the database and the sandboxes' own records."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from freight.finance.models import CarrierInvoiceLine
from freight.finance.rules import COLUMNS
from tests.integration.shipments.flow import API, Flow

Headers = dict[str, str]


@pytest.fixture
def finance(make_token: Callable[[str], Headers]) -> Headers:
    return make_token("finance")


def _shipped(flow: Flow) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """An NA label, a paid international label and an unaccepted quote."""
    na = flow.outbound(flow.ready_rr())
    rr = flow.international_rr()
    intl = flow.outbound(rr)
    assert flow.accept(intl["quote"]["id"], rr).status_code == 200
    pending = flow.outbound(flow.international_rr())
    flow.drain()
    return flow.shipment(na["id"]), flow.shipment(intl["id"]), pending


def _invoice(*lines: tuple[str, str, str]) -> str:
    head = "tracking_number,carrier,invoice_number,invoice_date,amount,currency,reason\n"
    return head + "".join(
        f"{t},{c},INV-77,2026-11-30,{a},USD,weight correction\n" for t, c, a in lines
    )


def _upload(flow: Flow, finance: Headers, text: str) -> Any:
    files = {"file": ("invoice.csv", text.encode(), "text/csv")}
    return flow.client.post(f"{API}/finance/carrier-invoices", files=files, headers=finance)


def test_ledger_rows_match_database_and_sandbox(flow: Flow, finance: Headers) -> None:
    na, intl, pending = _shipped(flow)
    resp = flow.client.get(f"{API}/finance/reconciliation?format=csv", headers=finance)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    assert tuple(resp.text.splitlines()[0].split(",")) == COLUMNS
    by_id = {r["shipment_id"]: r for r in rows}
    assert set(by_id) == {na["id"], intl["id"], pending["id"]}
    assert by_id[na["id"]]["payer"] == "vendor"
    assert by_id[na["id"]]["vendor_paid_freight"] == na["cost"]["amount"]
    assert by_id[na["id"]]["captured"] == "0.00"
    assert by_id[na["id"]]["status"] == "open"
    paid = by_id[intl["id"]]
    captured = flow.payments.operations("capture")
    assert len(captured) == 1
    assert Decimal(paid["captured"]) * 100 == captured[0]["amount"]
    assert paid["label_cost"] == intl["cost"]["amount"]
    assert paid["variance"] == "0.00"
    assert paid["quote"] == intl["quote"]["amount"]["amount"]
    assert paid["currency"] == "USD"
    assert paid["created_at"].endswith("Z")
    assert by_id[pending["id"]]["authorized"] == "0.00"
    assert by_id[pending["id"]]["shipment_state"] == "quoted"


def test_invoice_import_matches_reports_unmatched_and_is_idempotent(
    flow: Flow, finance: Headers, session: Session
) -> None:
    na, intl, _ = _shipped(flow)
    text = _invoice(
        (na["tracking_number"], na["carrier"], "2.50"),
        (intl["tracking_number"], intl["carrier"], "0.00"),
        ("1Z999NOPE", "ups", "9.99"),
    )
    first = _upload(flow, finance, text)
    assert first.status_code == 200, first.text
    report = first.json()
    assert (report["imported"], report["matched"], report["unmatched"]) == (3, 2, 1)
    assert report["unmatched_lines"][0]["tracking_number"] == "1Z999NOPE"
    again = _upload(flow, finance, text).json()
    assert (again["imported"], again["duplicates"], again["matched"]) == (0, 3, 2)
    assert session.scalar(select(func.count()).select_from(CarrierInvoiceLine)) == 3

    ledger = flow.client.get(f"{API}/finance/reconciliation", headers=finance).json()
    by_id = {r["shipment_id"]: r for r in ledger["rows"]}
    assert by_id[na["id"]]["adjustments"] == "2.50"
    assert by_id[na["id"]]["status"] == "mismatch"
    expected = Decimal(na["cost"]["amount"]) + Decimal("2.50")
    assert by_id[na["id"]]["vendor_paid_freight"] == str(expected)
    assert by_id[intl["id"]]["status"] == "reconciled"


def test_bad_invoice_is_422_naming_row_and_column_and_stores_nothing(
    flow: Flow, finance: Headers, session: Session
) -> None:
    text = _invoice(("1Z1", "ups", "abc"))
    resp = _upload(flow, finance, text)
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "file.row2.amount"
    assert session.scalar(select(func.count()).select_from(CarrierInvoiceLine)) == 0


def test_reconciliation_needs_the_finance_role_and_filters_by_date(
    flow: Flow, finance: Headers
) -> None:
    _shipped(flow)
    url = f"{API}/finance/reconciliation"
    assert flow.client.get(url, headers=flow.staff).status_code == 403
    assert flow.client.get(f"{url}?from=2026-11-03", headers=finance).json()["rows"] == []
    assert (
        len(flow.client.get(f"{url}?from=2026-11-02&to=2026-11-02", headers=finance).json()["rows"])
        == 3
    )
    bad = flow.client.get(f"{url}?from=yesterday", headers=finance)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "from"
