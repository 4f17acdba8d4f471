"""Warranty registry (P-WARRANTY): CSV import, look-ups, terms per part, the receiving desk."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from freight.settings import Settings
from freight.warranty.models import WarrantyUnit
from tests.integration.shipments.flow import Flow

API = "/api/v1"
CSV = (
    "serial_number,part_number,shipped_on,warranty_months\n"
    "WR-NEW-1,MAX-1000,2026-06-01,\n"
    "WR-OLD-1,MAX-1000,2024-01-15,\n"
    "WR-LONG-1,MAX-1000,2024-01-15,36\n"
)


def _import(
    client: TestClient, staff: dict[str, str], text: str, *, multipart: bool = False
) -> Any:
    if multipart:
        return client.post(
            f"{API}/warranty/registrations",
            headers=staff,
            files={"file": ("registry.csv", text.encode(), "text/csv")},
        )
    return client.post(
        f"{API}/warranty/registrations",
        content=text.encode(),
        headers={**staff, "Content-Type": "text/csv"},
    )


def _units(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(WarrantyUnit)) or 0


def test_import_is_idempotent_and_reports_what_changed(
    client: TestClient, staff: dict[str, str], session: Session
) -> None:
    first = _import(client, staff, CSV)
    assert first.status_code == 200, first.text
    assert first.json() == {"rows": 3, "created": 3, "updated": 0, "unchanged": 0}
    again = _import(client, staff, CSV, multipart=True)
    assert again.json() == {"rows": 3, "created": 0, "updated": 0, "unchanged": 3}
    fixed = _import(
        client, staff, "serial_number,part_number,shipped_on\nwr-new-1,MAX-1000,2026-07-01\n"
    )
    assert fixed.json() == {"rows": 1, "created": 0, "updated": 1, "unchanged": 0}
    assert _units(session) == 3
    one = client.get(f"{API}/warranty/WR-NEW-1", headers=staff).json()
    assert one["shipped_on"] == "2026-07-01"
    assert one["ends_on"] == "2027-06-30"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (
            "serial_number,part_number,shipped_on\nA1,P,2026-01-01\nA2,P,2026-13-40\n",
            "file.row3.shipped_on",
        ),
        ("serial_number,part_number,shipped_on\nA1,P,01/02/2026\n", "file.row2.shipped_on"),
        ("serial_number,part_number,shipped_on\nA1,P,1850-01-01\n", "file.row2.shipped_on"),
        ("serial_number,part_number,shipped_on,colour\nA1,P,2026-01-01,red\n", "file.row1.colour"),
        ("serial_number,shipped_on\nA1,2026-01-01\n", "file.row1.part_number"),
        (
            "serial_number,part_number,shipped_on,warranty_months\nA1,P,2026-01-01,twelve\n",
            "file.row2.warranty_months",
        ),
        (
            "serial_number,part_number,shipped_on\nA1,P,2026-01-01\nA1,Q,2026-01-01\n",
            "file.row3.serial_number",
        ),
        ("serial_number,part_number,shipped_on\n", "file.row1.file"),
    ],
)
def test_bad_rows_are_named_by_row_and_column_and_nothing_is_imported(
    client: TestClient, staff: dict[str, str], session: Session, text: str, field: str
) -> None:
    resp = _import(client, staff, text)
    assert resp.status_code == 422, resp.text
    assert field in [e["field"] for e in resp.json()["errors"]]
    assert _units(session) == 0


def test_lookups_for_staff_and_for_anyone(
    client: TestClient, staff: dict[str, str], settings: Settings
) -> None:
    _import(client, staff, CSV)
    staff_view = client.get(f"{API}/warranty/WR-OLD-1", headers=staff).json()
    assert staff_view["status"] == "out_of_warranty"
    assert staff_view["ends_on"] == "2025-01-14"
    assert staff_view["rule"] == "P-WARRANTY"
    assert "first shipment" in staff_view["reason"]
    long = client.post(f"{API}/warranty/lookup", json={"serial_number": "wr-long-1"}).json()
    assert long == {
        "serial_number": "WR-LONG-1",
        "status": "in_warranty",
        "ends_on": "2027-01-14",
        "replaced_by": None,
        "replaces": None,
    }
    unknown = client.post(f"{API}/warranty/lookup", json={"serial_number": "NOPE-1"}).json()
    assert unknown["status"] == "unknown"
    assert client.get(f"{API}/warranty/WR-OLD-1").status_code == 401
    codes = [
        client.post(f"{API}/warranty/lookup", json={"serial_number": "X1"}).status_code
        for _ in range(settings.lookup_rate_per_minute + 1)
    ]
    assert codes[-1] == 429


@pytest.fixture
def long_terms(settings: Settings) -> Settings:
    settings.warranty_months = {"MAX-1000": 24, "*": 6}
    return settings


@pytest.mark.usefixtures("long_terms")
def test_terms_come_from_the_part_number_with_a_default(
    client: TestClient, staff: dict[str, str]
) -> None:
    _import(
        client,
        staff,
        "serial_number,part_number,shipped_on\nT1,max-1000,2025-01-10\nT2,OTHER-9,2025-01-10\n",
    )
    assert client.get(f"{API}/warranty/T1", headers=staff).json()["ends_on"] == "2027-01-09"
    assert client.get(f"{API}/warranty/T2", headers=staff).json()["ends_on"] == "2025-07-09"


def _receipt(flow: Flow, rr: str, **extra: Any) -> Any:
    serial = flow.rr(rr)["serial_number"]
    body = {
        "rr_marked_on_carton": True,
        "freight_collect": False,
        "visible_damage": False,
        "serial_number_seen": serial,
    } | extra
    return flow.client.post(f"{API}/repair-requests/{rr}/receipt", json=body, headers=flow.staff)


def test_the_receiving_desk_rejects_a_unit_the_registry_says_is_out_of_warranty(flow: Flow) -> None:
    _import(flow.client, flow.staff, CSV)
    inside = flow.open_rr(serial_number="WR-NEW-1")
    accepted = _receipt(flow, inside).json()
    assert accepted["accepted"] is True
    outside = flow.open_rr(serial_number="WR-OLD-1")
    rejected = _receipt(flow, outside).json()
    assert rejected["accepted"] is False
    assert [(r["rule"], r["code"]) for r in rejected["reasons"]] == [
        ("P-WARRANTY", "out_of_warranty")
    ]
    assert "2025-01-14" in rejected["reasons"][0]["reason"]
    assert rejected["repair_request"]["status"] == "rejected"


def test_staff_may_override_the_registry_with_a_note(flow: Flow) -> None:
    _import(flow.client, flow.staff, CSV)
    rr = flow.open_rr(serial_number="WR-OLD-1")
    no_note = _receipt(flow, rr, warranty_override="in_warranty")
    assert no_note.status_code == 422
    assert [e["field"] for e in no_note.json()["errors"]] == ["warranty_override_note"]
    assert flow.rr(rr)["status"] == "issued"  # nothing was logged
    ok = _receipt(
        flow,
        rr,
        warranty_override="in_warranty",
        warranty_override_note="Ship date in the registry is wrong; invoice says 2025",
    )
    assert ok.json()["accepted"] is True
    inside = flow.open_rr(serial_number="WR-NEW-1")
    out = _receipt(
        flow,
        inside,
        warranty_override="out_of_warranty",
        warranty_override_note="Liquid damage inside (exclusion d)",
    ).json()
    assert out["accepted"] is False
    assert out["reasons"][0]["rule"] == "P-WARRANTY"
    assert "Liquid damage" in out["reasons"][0]["reason"]


def test_without_a_registry_entry_the_purchase_date_decides(flow: Flow) -> None:
    pop = {"document_type": "invoice", "reference": "INV-9", "purchase_date": "2021-05-01"}
    rr = flow.open_rr(proof_of_purchase=pop)
    rejected = _receipt(flow, rr).json()
    assert rejected["accepted"] is False
    assert "2022-04-30" in rejected["reasons"][0]["reason"]
    unknown = flow.open_rr()  # no registry entry, no purchase date: the desk decides
    assert _receipt(flow, unknown).json()["accepted"] is True


def test_a_repair_does_not_extend_the_coverage(flow: Flow) -> None:
    _import(flow.client, flow.staff, CSV)
    before = flow.client.get(f"{API}/warranty/WR-NEW-1", headers=flow.staff).json()["ends_on"]
    rr = flow.ready_rr(serial_number="WR-NEW-1")
    flow.outbound(rr)
    flow.drain()
    assert flow.rr(rr)["status"] == "shipped"
    after = flow.client.get(f"{API}/warranty/WR-NEW-1", headers=flow.staff).json()["ends_on"]
    assert after == before == "2027-05-31"
