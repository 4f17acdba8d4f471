"""Finance routes: the reconciliation ledger (JSON or CSV) and carrier invoice import. Thin."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from freight.carrier_registry import display_name
from freight.deps import FinanceDep, NowDep, SessionDep
from freight.errors import invalid
from freight.finance import service
from freight.finance.rules import COLUMNS, credit_totals, to_csv, utc_text
from freight.imports import csv_text
from freight.limits import check_year
from freight.problems import CSV_BODY
from freight.text import YEAR_PATTERN

router = APIRouter(prefix="/api/v1/finance", tags=["finance"])


def _moment(name: str, value: str | None, *, end: bool) -> datetime | None:
    """ISO date or datetime (1900–2200); a bare `to` date includes that whole day (UTC)."""
    if value is None or not value.strip():
        return None
    text = value.strip().upper().replace("Z", "+00:00")
    try:
        if len(text) == 10:
            day = check_year(date.fromisoformat(text))
            return datetime.combine(day + timedelta(days=1 if end else 0), time(0), tzinfo=UTC)
        moment = datetime.fromisoformat(text)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        check_year(moment)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise invalid(name, f"'{value}' is not an ISO-8601 date or date-time in 1900–2200") from exc


_MOMENT = {
    "anyOf": [
        {"type": "string", "format": "date", "pattern": YEAR_PATTERN},
        {"type": "string", "format": "date-time", "pattern": YEAR_PATTERN},
        {"type": "string", "maxLength": 0},
    ],
    "description": "ISO date or date-time, 1900–2200",
}
_LEDGER_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The ledger as JSON, or as CSV with format=csv",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


@router.get("/reconciliation", response_model=None, responses=_LEDGER_RESPONSES)
def reconciliation(
    _: FinanceDep,
    session: SessionDep,
    from_: Annotated[str | None, Query(alias="from", json_schema_extra=_MOMENT)] = None,
    to: Annotated[str | None, Query(json_schema_extra=_MOMENT)] = None,
    format: Literal["json", "csv"] = "json",  # noqa: A002 - the documented query name
) -> Response | dict[str, Any]:
    """One row per outbound shipment: quote, hold, capture, label cost, adjustments, variance."""
    start, end = _moment("from", from_, end=False), _moment("to", to, end=True)
    # An empty window (to at or before from) is an empty ledger: a filter only narrows.
    empty = start is not None and end is not None and end <= start
    rows = [] if empty else service.reconciliation(session, start=start, end=end)
    if format == "csv":
        return Response(
            to_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="reconciliation.csv"'},
        )
    return {
        "from": utc_text(start) if start else None,
        "to": utc_text(end) if end else None,
        "columns": list(COLUMNS),
        "rows": [
            {**r.values, "carrier_name": display_name(r.values["carrier"], unknown="")}
            for r in rows
        ],  # fmt: skip
        "counts": {
            s: sum(1 for r in rows if r.status == s) for s in ("open", "reconciled", "mismatch")
        },
        "credit_refunds": credit_totals(rows),
    }


@router.post("/carrier-invoices", openapi_extra=CSV_BODY)
async def import_carrier_invoice(
    request: Request, _: FinanceDep, session: SessionDep, now: NowDep
) -> dict[str, Any]:
    """Import a carrier invoice CSV (multipart field `file`, or a text/csv body); idempotent."""
    text = await csv_text(request, what="invoice")
    report = service.import_invoice(session, text=text, now=now)
    return dict(report.__dict__)
