"""P-REPLACE: staff replace the unit instead of repairing it. Never commits.

The replacement can be changed (POST again) while the RR is still received or in_repair —
nothing has left the building yet; once it is ready to ship, the choice stands.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from freight.errors import ConflictError, invalid
from freight.repairs import repository as repo
from freight.repairs.models import RepairRequest
from freight.repairs.rules import RRStatus, normalize_serial
from freight.repairs.warranty_check import purchase_date_of
from freight.settings import Settings
from freight.text import refuse_control_characters
from freight.warranty import service as warranty

REPLACEABLE = frozenset({RRStatus.RECEIVED, RRStatus.IN_REPAIR})


def replace_unit(
    session: Session,
    *,
    rr: RepairRequest,
    serial_number: str,
    condition: Literal["new", "reconditioned"],
    note: str,
    actor: str,
    now: datetime,
    settings: Settings,
) -> RepairRequest:
    """Ship a new or reconditioned unit of like form, fit and function instead of the repair."""
    refuse_control_characters({"serial_number": serial_number, "note": note}, free=("note",))
    if rr.kind != "repair":
        raise ConflictError(
            f"Repair Request {rr.rr_number} is a return for credit; it is refunded, not replaced.",
            kind=rr.kind,
        )
    if rr.status not in REPLACEABLE:
        raise ConflictError(
            f"Repair Request {rr.rr_number} is '{rr.status}'; a replacement can be chosen while "
            "the unit is on site (received or in_repair).",
            current=rr.status,
        )
    return record_replacement(
        session, rr=rr, serial_number=serial_number, condition=condition, note=note,
        actor=actor, now=now, settings=settings,
    )  # fmt: skip


def record_replacement(
    session: Session,
    *,
    rr: RepairRequest,
    serial_number: str,
    condition: Literal["new", "reconditioned"],
    note: str,
    actor: str,
    now: datetime,
    settings: Settings,
) -> RepairRequest:
    """P-REPLACE / P-WARRANTY: the RR records both serials and the registry links them, the new
    unit inheriting the original's warranty end (also used by advance replacements)."""
    new = normalize_serial(serial_number)
    if new == normalize_serial(rr.serial_number):
        raise invalid("serial_number", "the replacement must be a different unit (another serial)")
    holder = repo.open_rr_for_serial(session, new)
    if holder is not None:
        raise ConflictError(
            f"Unit {new} has an open Repair Request ({holder.rr_number}); it "
            "cannot be shipped as a replacement.",
            field="serial_number",
        )
    previous = (rr.replacement or {}).get("serial_number")
    if previous and previous != new:
        warranty.unlink_replacement(session, new_serial=previous, rr_number=rr.rr_number)
    original = warranty.lookup(
        session,
        serial=rr.serial_number,
        part_number=rr.part_number,
        purchase_date=purchase_date_of(rr),
        now=now,
        settings=settings,
    )
    warranty.link_replacement(
        session,
        original=original,
        part_number=rr.part_number,
        new_serial=new,
        condition=condition,
        rr_number=rr.rr_number,
        note=note,
        now=now,
    )
    ends = original.coverage.ends_on
    rr.replacement = {
        "serial_number": new,
        "replaces": rr.serial_number,
        "condition": condition,
        "note": note,
        "ends_on": ends.isoformat() if ends else None,
        "at": now.isoformat(),
        "by": actor,
        "rule": "P-REPLACE",
    }
    session.flush()
    return rr
