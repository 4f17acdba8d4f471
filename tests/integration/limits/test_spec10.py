"""SPEC §10 limits, replayed on SQLite and PostgreSQL: each bad input is a 4xx problem+json naming
the field, and nothing is stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from freight.finance.models import CarrierInvoiceLine
from freight.repairs.models import RepairRequest
from tests.integration.conftest import rr_payload

PROBLEM = "application/problem+json"
HEADER = "tracking_number,carrier,invoice_number,invoice_date,amount,currency,reason\n"


def _named(resp: Any, field: str, status: int = 422) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    if status == 422:
        fields = [e["field"] for e in resp.json()["errors"]]
        assert any(f == field or f.startswith(field + ".") or field in f for f in fields), fields


def _count(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def finance(make_token: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return make_token("finance")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/repair-requests?q=%00", "q"),
        ("/api/v1/jobs?task=%00", "task"),
        ("/api/v1/claims?carrier=%00", "carrier"),
        ("/api/v1/shipments/%00", "shipment_id"),
        ("/api/v1/repair-requests/RR-%00", "rr_number"),
        ("/api/v1/repair-requests?cursor=r8000000000000000", "cursor"),
        ("/api/v1/repair-requests?cursor=aWQ6OTIyMzM3MjAzNjg1NDc3NTgwOA", "cursor"),
        ("/api/v1/repair-requests?status=nonsense", "status"),
    ],
)
def test_bad_url_values_are_422_naming_the_parameter(
    client: TestClient, staff: dict[str, str], path: str, field: str
) -> None:
    _named(client.get(path, headers=staff), field)


@pytest.mark.parametrize(
    "query",
    ["to=9999-12-31", "from=0001-01-01", "to=2026-01-01T00:00:00%2B14:00&from=9999-01-01",
     "from=2026-13-01"],
)  # fmt: skip
def test_reconciliation_dates_outside_1900_2200_are_422(
    client: TestClient, finance: dict[str, str], query: str
) -> None:
    resp = client.get(f"/api/v1/finance/reconciliation?{query}", headers=finance)
    _named(resp, "to" if query.startswith("to=") and "from" not in query else "from")


def test_lookup_with_a_nul_is_422_without_a_token(client: TestClient) -> None:
    resp = client.post("/api/v1/track/lookup", json={"rr_number": "RR-\u0000", "email": "a@b.co"})
    _named(resp, "rr_number")


def test_percent_is_a_literal_character_in_search(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]]
) -> None:
    open_rr()
    resp = client.get("/api/v1/repair-requests?q=%25", headers=staff)
    assert resp.status_code == 200
    assert resp.json()["items"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"part_number": "MAX\u00001000"}, "part_number"),
        ({"special_requirements": "bell\u0007"}, "special_requirements"),
        ({"declared_value": {"amount": 1e30, "currency": "USD"}}, "declared_value.amount"),
        ({"declared_value": {"amount": "1.00001", "currency": "USD"}}, "declared_value.amount"),
        ({"kind": "credit_return", "customer_received_at": "9999-12-31T00:00:00Z"},
         "customer_received_at"),
        ({"customer_received_at": 0}, "customer_received_at"),
        ({"proof_of_purchase": {"document_type": "invoice", "reference": "INV-1",
                                "purchase_date": "0001-01-01"}}, "proof_of_purchase.purchase_date"),
        ({"return_address": {"name": "A", "street1": "1 Loop", "city": "X", "postal_code": "1",
                             "country": "ZZ"}}, "return_address.country"),
    ],
)  # fmt: skip
def test_bad_repair_request_fields_are_named_and_nothing_is_stored(
    client: TestClient, staff: dict[str, str], session: Session, change: dict[str, Any], field: str
) -> None:
    resp = client.post("/api/v1/repair-requests", json=rr_payload(**change), headers=staff)
    _named(resp, field)
    assert _count(session, RepairRequest) == 0


def test_free_text_keeps_tab_and_newline(client: TestClient, staff: dict[str, str]) -> None:
    body = rr_payload(special_requirements="line one\n\tline two")
    assert client.post("/api/v1/repair-requests", json=body, headers=staff).status_code == 201


def test_a_parcel_of_1e_30_lb_buys_no_label(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]]
) -> None:
    rr = open_rr()["rr_number"]
    parcel = {"length": 10, "width": 8, "height": 4, "distance_unit": "in", "weight": 1e-30,
              "mass_unit": "lb"}  # fmt: skip
    resp = client.post(
        f"/api/v1/repair-requests/{rr}/outbound-shipments", json={"parcel": parcel}, headers=staff
    )
    _named(resp, "parcel.weight")


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("1Z999,ups,INV-1,2026-11-01,1e30,USD,\n", "amount"),
        ("1Z999,ups,INV-1,2026-11-01,1000000000000000,USD,\n", "amount"),
        ("1Z999,ups,INV-1,2026-11-01,1.23456,USD,\n", "amount"),
        ("1Z\u0000999,ups,INV-1,2026-11-01,1.00,USD,\n", "tracking_number"),
        ("T" * 101 + ",ups,INV-1,2026-11-01,1.00,USD,\n", "tracking_number"),
        ("1Z999,ups,INV-1,0001-01-01,1.00,USD,\n", "invoice_date"),
        ("1Z999,ups,INV-1,2026-11-01,1.00,USD,,extra\n", "file.row2"),
        ("1Z999,ups,INV-1,2026-11-01,1.00,USD," + "x" * 140_000 + "\n", "file"),
    ],
)
def test_bad_invoice_lines_are_named_and_nothing_is_imported(
    client: TestClient, finance: dict[str, str], session: Session, row: str, field: str
) -> None:
    resp = client.post(
        "/api/v1/finance/carrier-invoices", content=HEADER + row,
        headers={**finance, "content-type": "text/csv"},
    )  # fmt: skip
    _named(resp, field)
    assert _count(session, CarrierInvoiceLine) == 0


def test_an_extra_invoice_column_is_refused(
    client: TestClient, finance: dict[str, str], session: Session
) -> None:
    csv = HEADER.strip() + ",discount\n1Z999,ups,INV-1,2026-11-01,1.00,USD,,5\n"
    resp = client.post(
        "/api/v1/finance/carrier-invoices", content=csv,
        headers={**finance, "content-type": "text/csv"},
    )  # fmt: skip
    _named(resp, "discount")
    assert _count(session, CarrierInvoiceLine) == 0


def test_an_oversized_chunked_json_body_is_413(client: TestClient, staff: dict[str, str]) -> None:
    def chunks() -> Any:
        yield b'{"special_requirements": "'
        for _ in range(1200):
            yield b"x" * 1000
        yield b'"}'

    resp = client.post(
        "/api/v1/repair-requests", content=chunks(),
        headers={**staff, "content-type": "application/json"},
    )  # fmt: skip
    assert resp.status_code == 413
    assert resp.headers["content-type"].startswith(PROBLEM)


def test_405_names_the_allowed_methods(client: TestClient, staff: dict[str, str]) -> None:
    resp = client.delete("/api/v1/repair-requests", headers=staff)
    assert resp.status_code == 405
    assert set(resp.headers["allow"].split(", ")) == {"GET", "POST"}
