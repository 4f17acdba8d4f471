"""The receiving desk's warranty finding (P-WARRANTY): from the registry, or staff's override."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from freight.errors import invalid
from freight.repairs.models import RepairRequest
from freight.repairs.schemas import ReceiptIn
from freight.rules import Decision, RuleError
from freight.settings import Settings
from freight.warranty import service as warranty
from freight.warranty.rules import receipt_finding


def purchase_date_of(rr: RepairRequest) -> date | None:
    raw = (rr.proof_of_purchase or {}).get("purchase_date")
    try:
        return date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def receipt_warranty(
    session: Session, *, rr: RepairRequest, data: ReceiptIn, now: datetime, settings: Settings
) -> tuple[Decision | None, dict[str, Any]]:
    """(the P-WARRANTY rejection or None, what the receipt records about warranty)."""
    if rr.kind != "repair":
        return None, {}
    view = warranty.lookup(
        session,
        serial=rr.serial_number,
        part_number=rr.part_number,
        purchase_date=purchase_date_of(rr),
        now=now,
        settings=settings,
    )
    try:
        reason, note = receipt_finding(
            view.coverage, override=data.warranty_override, note=data.warranty_override_note
        )
    except RuleError as exc:
        raise invalid(exc.field or "warranty_override_note", str(exc)) from exc
    ends = view.coverage.ends_on.isoformat() if view.coverage.ends_on else None
    return reason, {
        "status": view.coverage.status,
        "ends_on": ends,
        "finding": note,
        "override": data.warranty_override,
    }
