"""Warranty coverage (P-WARRANTY, P-REPLACE) and the registry CSV. Pure.

P-WARRANTY: a unit is covered from its first shipment (or, when the registry does not know it,
the purchase date on its proof of purchase) for the warranty term of its part number. The
coverage of N months starting on day S ends on the day before S's N-month anniversary (a unit
shipped 2025-03-15 with 12 months is covered through 2026-03-14). A repair does not extend it:
coverage depends on the first shipment only, never on a later return trip. A replacement
inherits the end date of the unit it replaces (P-REPLACE), and so does a replacement of a
replacement. A unit out of coverage is returned to sender at receipt.
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from freight.rules import Decision, RuleError

RULE = "P-WARRANTY"
REPLACE_RULE = "P-REPLACE"
DEFAULT_MONTHS = 12
Status = Literal["in_warranty", "out_of_warranty", "unknown"]
Source = Literal["replacement", "first_shipment", "purchase_date", "none"]


def add_months(start: date, months: int) -> date:
    """start + months, clamped to the month's last day (Jan 31 + 1 month = Feb 28/29)."""
    if months < 0:
        raise RuleError("Warranty months cannot be negative.", rule=RULE, field="warranty_months")
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def term_months(part_number: str, table: Mapping[str, int], override: int | None = None) -> int:
    """The warranty term of a part number: the unit's own, else the table's, else "*", else 12."""
    if override is not None:
        return override
    key = part_number.strip().upper()
    if key in table:
        return table[key]
    return table.get("*", DEFAULT_MONTHS)


def coverage_end(start: date, months: int) -> date:
    """The last covered day of a term starting on `start`."""
    return add_months(start, months) - timedelta(days=1)


@dataclass(frozen=True)
class UnitFacts:
    """What coverage depends on; `inherited_ends_on` is set for a replacement unit."""

    serial_number: str
    part_number: str
    shipped_on: date | None = None
    warranty_months: int | None = None
    purchase_date: date | None = None
    inherited_ends_on: date | None = None
    replaces: str | None = None


@dataclass(frozen=True)
class Coverage:
    status: Status
    ends_on: date | None
    source: Source
    decision: Decision


def coverage(facts: UnitFacts, *, today: date, table: Mapping[str, int]) -> Coverage:
    """P-WARRANTY / P-REPLACE: whether the unit is covered today, until when, and why."""
    months = term_months(facts.part_number, table, facts.warranty_months)
    if facts.inherited_ends_on is not None:
        ends, source = facts.inherited_ends_on, "replacement"
        why = f"it replaced unit {facts.replaces} and keeps that unit's warranty end"
        rule = REPLACE_RULE
    elif facts.shipped_on is not None:
        ends, source = coverage_end(facts.shipped_on, months), "first_shipment"
        why = f"{months} months from its first shipment on {facts.shipped_on.isoformat()}"
        rule = RULE
    elif facts.purchase_date is not None:
        ends, source = coverage_end(facts.purchase_date, months), "purchase_date"
        why = f"{months} months from its purchase on {facts.purchase_date.isoformat()}"
        rule = RULE
    else:
        reason = (
            f"Unit {facts.serial_number} is not in the warranty registry and no purchase date "
            "is known, so its coverage cannot be decided here."
        )
        return Coverage("unknown", None, "none", Decision(RULE, reason, "unknown"))
    status: Status = "in_warranty" if today <= ends else "out_of_warranty"
    verb = "is covered through" if status == "in_warranty" else "was covered until"
    reason = f"Unit {facts.serial_number} {verb} {ends.isoformat()} ({why})."
    return Coverage(status, ends, source, Decision(rule, reason, status))  # type: ignore[arg-type]


def receipt_finding(
    cov: Coverage, *, override: Status | None, note: str
) -> tuple[Decision | None, str]:
    """At receipt: the P-WARRANTY rejection (or None) and what the desk should record.

    Staff may override the registry either way with a note (a unit the registry does not know,
    a corrected ship date, a goodwill repair); the note is kept with the receipt.
    """
    if override is not None:
        if not note.strip():
            raise RuleError(
                "Overriding the registry's warranty status needs a note saying why.",
                rule=RULE,
                field="warranty_override_note",
            )
        recorded = f"Staff override to {override}: {note.strip()} (registry: {cov.status})"
        if override == "out_of_warranty":
            reason = f"Staff found the unit out of warranty: {note.strip()}"
            return Decision(RULE, reason, "out_of_warranty"), recorded
        return None, recorded
    if cov.status == "out_of_warranty":
        reason = f"{cov.decision.reason} It is out of warranty, so it is returned to the sender."
        return Decision(cov.decision.rule, reason, "out_of_warranty"), cov.decision.reason
    return None, cov.decision.reason


# The registry CSV --------------------------------------------------------------------------

REQUIRED_COLUMNS = ("serial_number", "part_number", "shipped_on")
OPTIONAL_COLUMNS = ("warranty_months",)
SERIAL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
FIRST_YEAR, LAST_YEAR = 1900, 2200


@dataclass(frozen=True)
class RegistryRow:
    row: int
    serial_number: str
    part_number: str
    shipped_on: date
    warranty_months: int | None


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    message: str


def _cell(raw: dict[str | None, object], name: str) -> str:
    value = raw.get(name)
    return value.strip() if isinstance(value, str) else ""


def _parse_date(n: int, text: str) -> date | RowProblem:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return RowProblem(n, "shipped_on", f"'{text[:40]}' is not a date (YYYY-MM-DD)")
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        return RowProblem(n, "shipped_on", f"{text} is outside {FIRST_YEAR}-{LAST_YEAR}")
    return day


def _parse_months(n: int, text: str) -> int | None | RowProblem:
    if not text:
        return None
    if not text.isdigit() or not 0 <= int(text) <= 600:
        return RowProblem(n, "warranty_months", f"'{text[:40]}' is not a whole number 0-600")
    return int(text)


def _parse_row(n: int, raw: dict[str | None, object]) -> RegistryRow | list[RowProblem]:
    if raw.get(None):  # more cells than the header has columns
        return [RowProblem(n, "row", "has more cells than the header has columns")]
    cells = {c: _cell(raw, c) for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)}
    problems = [RowProblem(n, c, "is required") for c in REQUIRED_COLUMNS if not cells[c]]
    problems += [
        RowProblem(n, c, "contains a control character")
        for c, v in cells.items()
        if _CONTROL.search(v)
    ]
    serial = cells["serial_number"]
    if serial and not SERIAL_RE.fullmatch(serial):
        problems.append(RowProblem(n, "serial_number", f"'{serial[:40]}' is not a serial number"))
    if len(cells["part_number"]) > 100:
        problems.append(RowProblem(n, "part_number", "is longer than 100 characters"))
    shipped = _parse_date(n, cells["shipped_on"]) if cells["shipped_on"] else None
    months = _parse_months(n, cells["warranty_months"])
    problems += [p for p in (shipped, months) if isinstance(p, RowProblem)]
    if problems:
        return problems
    assert isinstance(shipped, date)  # noqa: S101 - required and parsed: a problem otherwise
    assert not isinstance(months, RowProblem)  # noqa: S101 - likewise
    return RegistryRow(n, serial.upper(), cells["part_number"], shipped, months)


def _header_problems(header: list[str]) -> list[RowProblem]:
    known = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
    problems = [
        RowProblem(1, c, "column is missing from the header")
        for c in REQUIRED_COLUMNS
        if c not in header
    ]
    problems += [
        RowProblem(1, c or "(blank)", f"unknown column; the columns are {', '.join(known)}")
        for c in header
        if c not in known
    ]
    dupes = sorted({c for c in header if header.count(c) > 1})
    problems += [RowProblem(1, c, "column appears twice") for c in dupes]
    return problems


def parse_registry(text: str) -> tuple[list[RegistryRow], list[RowProblem]]:
    """Parse a registry CSV; every problem names its row (the header is row 1) and column.

    The same serial twice with the same facts is one unit; with different facts it is an error
    on the later row (the file must say one thing about each unit).
    """
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        return [], [RowProblem(1, "file", f"is not CSV: {exc}")]
    problems = _header_problems(header)
    if problems:
        return [], problems
    reader.fieldnames = header
    rows: dict[str, RegistryRow] = {}
    try:
        for n, raw in enumerate(reader, start=2):
            parsed = _parse_row(n, raw)
            if isinstance(parsed, list):
                problems += parsed
                continue
            seen = rows.get(parsed.serial_number)
            if seen is not None and (seen.part_number, seen.shipped_on, seen.warranty_months) != (
                parsed.part_number,
                parsed.shipped_on,
                parsed.warranty_months,
            ):
                problems.append(
                    RowProblem(
                        n,
                        "serial_number",
                        f"{parsed.serial_number} is also on row {seen.row} with different facts",
                    )
                )
                continue
            rows.setdefault(parsed.serial_number, parsed)
    except csv.Error as exc:
        problems.append(RowProblem(reader.line_num, "file", f"is not CSV: {exc}"))
    if not rows and not problems:
        problems.append(RowProblem(1, "file", "the registry has no rows"))
    return list(rows.values()), problems
