"""P-WARRANTY / P-REPLACE coverage and the registry CSV, as tables and properties."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from freight.rules import RuleError
from freight.warranty.rules import (
    UnitFacts,
    add_months,
    coverage,
    coverage_end,
    parse_registry,
    receipt_finding,
    term_months,
)

TABLE = {"MAX-1000": 24, "*": 12}
TODAY = date(2026, 11, 2)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 3, 15), 12, date(2026, 3, 15)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 12, 31), 0, date(2025, 12, 31)),
        (date(2025, 8, 31), 18, date(2027, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_month_end(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_coverage_ends_the_day_before_the_anniversary() -> None:
    assert coverage_end(date(2025, 3, 15), 12) == date(2026, 3, 14)


@pytest.mark.parametrize(
    ("part", "override", "months"),
    [("MAX-1000", None, 24), ("max-1000 ", None, 24), ("OTHER", None, 12), ("MAX-1000", 6, 6)],
)
def test_terms_by_part_number(part: str, override: int | None, months: int) -> None:
    assert term_months(part, TABLE, override) == months
    assert term_months(part, {}, override) == (override if override is not None else 12)


@pytest.mark.parametrize(
    ("facts", "status", "ends_on", "source", "rule"),
    [
        (
            UnitFacts("A", "OTHER", shipped_on=date(2025, 11, 3)),
            "in_warranty",
            date(2026, 11, 2),
            "first_shipment",
            "P-WARRANTY",
        ),
        (
            UnitFacts("A", "OTHER", shipped_on=date(2025, 11, 2)),
            "out_of_warranty",
            date(2026, 11, 1),
            "first_shipment",
            "P-WARRANTY",
        ),
        (
            UnitFacts("A", "MAX-1000", shipped_on=date(2025, 1, 1)),
            "in_warranty",
            date(2026, 12, 31),
            "first_shipment",
            "P-WARRANTY",
        ),
        # The registry's first shipment wins over a later purchase date.
        (
            UnitFacts("A", "OTHER", shipped_on=date(2024, 1, 1), purchase_date=date(2026, 1, 1)),
            "out_of_warranty",
            date(2024, 12, 31),
            "first_shipment",
            "P-WARRANTY",
        ),
        (
            UnitFacts("A", "OTHER", purchase_date=date(2026, 1, 1)),
            "in_warranty",
            date(2026, 12, 31),
            "purchase_date",
            "P-WARRANTY",
        ),
        (
            UnitFacts(
                "A",
                "OTHER",
                shipped_on=date(2026, 10, 1),
                inherited_ends_on=date(2026, 1, 1),
                replaces="OLD",
            ),
            "out_of_warranty",
            date(2026, 1, 1),
            "replacement",
            "P-REPLACE",
        ),
        (UnitFacts("A", "OTHER"), "unknown", None, "none", "P-WARRANTY"),
    ],
)
def test_coverage_table(
    facts: UnitFacts, status: str, ends_on: date | None, source: str, rule: str
) -> None:
    cov = coverage(facts, today=TODAY, table=TABLE)
    assert (cov.status, cov.ends_on, cov.source, cov.decision.rule) == (
        status,
        ends_on,
        source,
        rule,
    )
    if ends_on:
        assert ends_on.isoformat() in cov.decision.reason


def test_a_unit_override_of_the_term_wins() -> None:
    facts = UnitFacts("A", "MAX-1000", shipped_on=date(2025, 1, 1), warranty_months=6)
    assert coverage(facts, today=TODAY, table=TABLE).ends_on == date(2025, 6, 30)


@given(
    start=st.dates(min_value=date(1990, 1, 1), max_value=date(2150, 12, 31)),
    months=st.integers(min_value=1, max_value=120),
    later=st.integers(min_value=0, max_value=5000),
)
def test_coverage_properties(start: date, months: int, later: int) -> None:
    ends = coverage_end(start, months)
    assert ends >= start  # a term of at least one month covers its first day
    # Covered on the last day, not the day after; a repair (any later event) never moves the end.
    assert (
        coverage(
            UnitFacts("S", "P", shipped_on=start, warranty_months=months), today=ends, table={}
        ).status
        == "in_warranty"
    )
    after = coverage(
        UnitFacts("S", "P", shipped_on=start, warranty_months=months),
        today=ends + timedelta(days=1 + later),
        table={},
    )
    assert after.status == "out_of_warranty"
    assert after.ends_on == ends
    # A replacement keeps exactly the original's end, whatever its own ship date.
    replacement = UnitFacts(
        "R", "P", shipped_on=start + timedelta(days=later), inherited_ends_on=ends, replaces="S"
    )
    assert coverage(replacement, today=start, table={}).ends_on == ends


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2190, 1, 1)), st.integers(0, 120))
def test_add_months_lands_in_the_right_month(start: date, months: int) -> None:
    end = add_months(start, months)
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == months
    assert end.day <= start.day


def test_receipt_finding_follows_the_registry_or_the_override_with_a_note() -> None:
    out = coverage(UnitFacts("A", "P", shipped_on=date(2020, 1, 1)), today=TODAY, table={})
    inside = coverage(UnitFacts("A", "P", shipped_on=date(2026, 1, 1)), today=TODAY, table={})
    rejection, _ = receipt_finding(out, override=None, note="")
    assert rejection is not None
    assert rejection.rule == "P-WARRANTY"
    assert "returned to the sender" in rejection.reason
    assert receipt_finding(inside, override=None, note="")[0] is None
    accepted, recorded = receipt_finding(out, override="in_warranty", note="Invoice says 2026")
    assert accepted is None
    assert "Invoice says 2026" in recorded
    refused, _ = receipt_finding(inside, override="out_of_warranty", note="Liquid inside")
    assert refused is not None
    assert "Liquid inside" in refused.reason
    with pytest.raises(RuleError) as err:
        receipt_finding(out, override="in_warranty", note="  ")
    assert err.value.field == "warranty_override_note"


def test_registry_parse_keeps_good_rows_and_names_bad_ones() -> None:
    rows, problems = parse_registry(
        "serial_number,part_number,shipped_on,warranty_months\n"
        "a1,P-1,2025-01-01,\n"
        "A1,P-1,2025-01-01,\n"  # the same unit again: fine
        "A2,P-1,2025-02-30,\n"
        "A3,,2025-01-01,x\n"
        "A\x004,P,2025-01-01,\n"
    )
    assert [r.serial_number for r in rows] == ["A1"]
    assert {(p.row, p.column) for p in problems} == {
        (4, "shipped_on"),
        (5, "part_number"),
        (5, "warranty_months"),
        (6, "serial_number"),
    }


def test_registry_header_must_name_known_columns() -> None:
    _, problems = parse_registry("Serial_Number,part_number,shipped_on,notes,notes\n")
    assert {(p.row, p.column) for p in problems} == {(1, "notes")}
    _, missing = parse_registry("serial_number\nA1\n")
    assert {p.column for p in missing} == {"part_number", "shipped_on"}
