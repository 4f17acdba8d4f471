"""Every warranty registry query lives here."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from freight.warranty.models import WarrantyUnit

_CHUNK = 500


def get(session: Session, serial: str, *, lock: bool = False) -> WarrantyUnit | None:
    stmt = select(WarrantyUnit).where(WarrantyUnit.serial_number == serial.strip().upper())
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def many(session: Session, serials: Iterable[str]) -> dict[str, WarrantyUnit]:
    """The registry rows of these serials (queried in chunks: a registry import can be large)."""
    wanted = sorted({s.strip().upper() for s in serials})
    found: dict[str, WarrantyUnit] = {}
    for i in range(0, len(wanted), _CHUNK):
        stmt = select(WarrantyUnit).where(WarrantyUnit.serial_number.in_(wanted[i : i + _CHUNK]))
        found.update({u.serial_number: u for u in session.scalars(stmt)})
    return found


def add(session: Session, unit: WarrantyUnit) -> None:
    session.add(unit)


def delete(session: Session, unit: WarrantyUnit) -> None:
    session.delete(unit)
