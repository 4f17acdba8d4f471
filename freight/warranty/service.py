"""Warranty registry use cases: import, look up, decide coverage, link replacements.
Never commits."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from freight.errors import ConflictError, FieldError, ValidationFailedError
from freight.policy import business_calendar
from freight.settings import Settings
from freight.warranty import repository as repo
from freight.warranty.models import WarrantyUnit
from freight.warranty.rules import Coverage, RegistryRow, UnitFacts, coverage, parse_registry

log = logging.getLogger("freight.warranty")


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def import_registry(session: Session, *, text: str, now: datetime) -> ImportReport:
    """Import registry rows (all or nothing); the same file twice changes nothing."""
    rows, problems = parse_registry(text)
    if problems:
        errors = [FieldError(f"file.row{p.row}.{p.column}", p.message) for p in problems[:50]]
        summary = "; ".join(f"row {p.row} {p.column}: {p.message}" for p in problems[:5])
        raise ValidationFailedError(
            f"The registry has {len(problems)} problem(s); nothing was imported. {summary}", errors
        )
    existing = repo.many(session, (r.serial_number for r in rows))
    report = ImportReport(rows=len(rows))
    for row in rows:
        unit = existing.get(row.serial_number)
        if unit is None:
            repo.add(session, _new_unit(row, now))
            report.created += 1
        elif _same(unit, row):
            report.unchanged += 1
        else:
            unit.part_number, unit.shipped_on = row.part_number, row.shipped_on
            unit.warranty_months, unit.updated_at = row.warranty_months, now
            report.updated += 1
    session.flush()
    log.info(
        "warranty.registry.imported rows=%d created=%d updated=%d",
        report.rows,
        report.created,
        report.updated,
    )
    return report


def _new_unit(row: RegistryRow, now: datetime) -> WarrantyUnit:
    return WarrantyUnit(
        serial_number=row.serial_number,
        part_number=row.part_number,
        shipped_on=row.shipped_on,
        warranty_months=row.warranty_months,
        source="import",
        created_at=now,
        updated_at=now,
    )


def _same(unit: WarrantyUnit, row: RegistryRow) -> bool:
    return (unit.part_number, unit.shipped_on, unit.warranty_months) == (
        row.part_number,
        row.shipped_on,
        row.warranty_months,
    )


def today(settings: Settings, now: datetime) -> date:
    """The company's calendar date: coverage ends at the end of a local day."""
    return business_calendar(settings).local_date(now)


def facts(
    unit: WarrantyUnit | None, *, serial: str, part_number: str, purchase_date: date | None
) -> UnitFacts:
    """What coverage depends on: the registry's row when there is one, else the RR's facts."""
    if unit is None:
        return UnitFacts(serial.strip().upper(), part_number, purchase_date=purchase_date)
    return UnitFacts(
        unit.serial_number,
        unit.part_number or part_number,
        shipped_on=unit.shipped_on,
        warranty_months=unit.warranty_months,
        purchase_date=purchase_date,
        inherited_ends_on=unit.inherited_ends_on,
        replaces=unit.replaces,
    )


@dataclass(frozen=True)
class WarrantyView:
    serial_number: str
    coverage: Coverage
    unit: WarrantyUnit | None


def lookup(
    session: Session,
    *,
    serial: str,
    now: datetime,
    settings: Settings,
    part_number: str = "",
    purchase_date: date | None = None,
) -> WarrantyView:
    """A serial's coverage today (unknown when neither the registry nor a purchase date knows)."""
    unit = repo.get(session, serial)
    unit_facts = facts(unit, serial=serial, part_number=part_number, purchase_date=purchase_date)
    cov = coverage(unit_facts, today=today(settings, now), table=settings.warranty_months)
    return WarrantyView(unit_facts.serial_number, cov, unit)


def link_replacement(
    session: Session,
    *,
    original: WarrantyView,
    part_number: str,
    new_serial: str,
    condition: str,
    rr_number: str,
    note: str,
    now: datetime,
) -> WarrantyUnit:
    """P-REPLACE: link the serials; the new unit inherits the original's coverage end."""
    unit = repo.get(session, new_serial, lock=True)
    if unit is not None and unit.replaces and unit.rr_number != rr_number:
        raise ConflictError(
            f"Unit {unit.serial_number} already replaced unit {unit.replaces} "
            f"({unit.rr_number}); it is in a customer's hands.",
            field="serial_number",
        )
    if unit is None:
        unit = WarrantyUnit(
            serial_number=new_serial, part_number=part_number, source="replacement", created_at=now
        )
        repo.add(session, unit)
    unit.replaces, unit.inherited_ends_on = original.serial_number, original.coverage.ends_on
    unit.condition, unit.rr_number, unit.note, unit.updated_at = condition, rr_number, note, now
    old = original.unit or WarrantyUnit(
        serial_number=original.serial_number,
        part_number=part_number,
        source="repair_request",
        created_at=now,
    )
    if original.unit is None:
        repo.add(session, old)
    old.replaced_by, old.updated_at = unit.serial_number, now
    session.flush()
    return unit


def unlink_replacement(session: Session, *, new_serial: str, rr_number: str) -> None:
    """Undo a replacement chosen for this RR (staff corrected it before anything shipped)."""
    unit = repo.get(session, new_serial, lock=True)
    if unit is None or unit.rr_number != rr_number:
        return
    original = repo.get(session, unit.replaces or "", lock=True) if unit.replaces else None
    if original is not None and original.replaced_by == unit.serial_number:
        original.replaced_by = None
    if unit.source == "replacement":
        repo.delete(session, unit)
    else:
        unit.replaces = unit.inherited_ends_on = unit.condition = unit.rr_number = None
    session.flush()
