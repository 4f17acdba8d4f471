"""Properties of warranty coverage and replacement (SPEC §8 P-WARRANTY, P-REPLACE).

"All repaired products remain under the warranty period of the original product"; a replacement
inherits the original's end date, and so does a replacement of a replacement.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from freight.rules import RuleError
from freight.warranty.rules import (
    Coverage,
    UnitFacts,
    coverage,
    coverage_end,
    parse_registry,
    receipt_finding,
)

days = st.dates(min_value=date(1950, 1, 1), max_value=date(2150, 12, 31))
months = st.integers(min_value=0, max_value=600)
serials = st.from_regex(r"[A-Z0-9][A-Z0-9.\-]{2,15}", fullmatch=True)
parts = st.sampled_from(["MAX-1000", "IPTALK-500", "OFFICE-PBX", "X"])
TABLE = {"MAX-1000": 24, "IPTALK-500": 36, "*": 12}


@st.composite
def units(draw: st.DrawFn) -> UnitFacts:
    """A unit known by its first shipment, or only by a purchase date, or not at all."""
    return UnitFacts(
        serial_number=draw(serials),
        part_number=draw(parts),
        shipped_on=draw(st.none() | days),
        warranty_months=draw(st.none() | months),
        purchase_date=draw(st.none() | days),
    )


def replacement_of(original: Coverage, old: UnitFacts, new: UnitFacts) -> UnitFacts:
    """How the registry links a replacement: it inherits the end date (service.link_replacement)."""
    return UnitFacts(
        new.serial_number, new.part_number, shipped_on=new.shipped_on,
        warranty_months=new.warranty_months, purchase_date=new.purchase_date,
        inherited_ends_on=original.ends_on, replaces=old.serial_number,
    )  # fmt: skip


@given(unit=units(), today=days)
def test_covered_exactly_through_the_end_date_and_every_decision_has_its_rule(
    unit: UnitFacts, today: date
) -> None:
    cov = coverage(unit, today=today, table=TABLE)
    assert cov.decision.rule == "P-WARRANTY"
    assert unit.serial_number in cov.decision.reason
    if cov.ends_on is None:
        assert (cov.status, cov.source) == ("unknown", "none")
        assert unit.shipped_on is None
        assert unit.purchase_date is None
        return
    assert cov.status == ("in_warranty" if today <= cov.ends_on else "out_of_warranty")
    assert cov.decision.code == cov.status
    assert cov.ends_on.isoformat() in cov.decision.reason
    # The first shipment wins over the purchase date (a repair trip never restarts the clock).
    assert cov.source == ("first_shipment" if unit.shipped_on else "purchase_date")


@given(unit=units(), today=days, later=st.integers(0, 20000))
def test_once_out_of_warranty_a_unit_stays_out(unit: UnitFacts, today: date, later: int) -> None:
    assume(today + timedelta(days=later) <= date(9999, 1, 1))
    if coverage(unit, today=today, table=TABLE).status == "out_of_warranty":
        later_cov = coverage(unit, today=today + timedelta(days=later), table=TABLE)
        assert later_cov.status == "out_of_warranty"


@given(a=days, b=days, m=months, n=months)
def test_a_later_start_or_a_longer_term_never_ends_earlier(
    a: date, b: date, m: int, n: int
) -> None:
    assert coverage_end(min(a, b), m) <= coverage_end(max(a, b), m)
    assert coverage_end(a, min(m, n)) <= coverage_end(a, max(m, n))
    assert coverage_end(a, 0) == a - timedelta(days=1)  # a zero-month term covers nothing


@given(chain=st.lists(units(), min_size=2, max_size=5), today=days)
def test_a_replacement_of_a_replacement_keeps_the_first_units_warranty(
    chain: list[UnitFacts], today: date
) -> None:
    """P-REPLACE: whatever the new unit's own ship date, term or purchase date."""
    first = coverage(chain[0], today=today, table=TABLE)
    assume(first.ends_on is not None)
    previous, cov = chain[0], first
    for unit in chain[1:]:
        linked = replacement_of(cov, previous, unit)
        cov = coverage(linked, today=today, table=TABLE)
        assert (cov.ends_on, cov.status) == (first.ends_on, first.status)
        assert (cov.source, cov.decision.rule) == ("replacement", "P-REPLACE")
        assert previous.serial_number in cov.decision.reason  # names the unit it replaced
        previous = linked


@given(unit=units(), today=days)
def test_out_of_coverage_is_returned_to_sender_unless_staff_override_with_a_note(
    unit: UnitFacts, today: date
) -> None:
    cov = coverage(unit, today=today, table=TABLE)
    rejection, recorded = receipt_finding(cov, override=None, note="")
    assert (rejection is not None) is (cov.status == "out_of_warranty")
    if rejection is not None:
        assert (rejection.rule, rejection.code) == ("P-WARRANTY", "out_of_warranty")
        assert "returned to the sender" in rejection.reason
    assert recorded


@given(
    unit=units(),
    today=days,
    override=st.sampled_from(["in_warranty", "out_of_warranty"]),
    note=st.text(max_size=20),
)
def test_an_override_needs_a_note_and_decides(
    unit: UnitFacts, today: date, override: str, note: str
) -> None:
    cov = coverage(unit, today=today, table=TABLE)
    if not note.strip():
        with pytest.raises(RuleError) as info:
            receipt_finding(cov, override=override, note=note)  # type: ignore[arg-type]
        assert info.value.field == "warranty_override_note"
        return
    rejection, recorded = receipt_finding(cov, override=override, note=note)  # type: ignore[arg-type]
    assert (rejection is not None) is (override == "out_of_warranty")
    assert note.strip() in recorded
    assert cov.status in recorded  # the registry's own finding is kept beside the override


rows = st.tuples(serials, parts, st.dates(date(1900, 1, 1), date(2200, 12, 31)), st.none() | months)


@given(entries=st.lists(rows, min_size=1, max_size=8), repeat=st.booleans())
def test_the_registry_reads_back_what_was_written_and_a_repeated_row_is_one_unit(
    entries: list[tuple[str, str, date, int | None]], repeat: bool
) -> None:
    by_serial: dict[str, tuple[str, str, date, int | None]] = {}
    for serial, part, shipped, term in entries:
        by_serial.setdefault(serial, (serial, part, shipped, term))
    unique = list(by_serial.values())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["serial_number", "part_number", "shipped_on", "warranty_months"])
    for serial, part, shipped, term in unique + (unique if repeat else []):
        writer.writerow([serial.lower(), part, shipped.isoformat(), "" if term is None else term])
    parsed, problems = parse_registry(out.getvalue())
    assert problems == []
    assert [(r.serial_number, r.part_number, r.shipped_on, r.warranty_months) for r in parsed] == [
        (s.upper(), p, d, t) for s, p, d, t in unique
    ]
