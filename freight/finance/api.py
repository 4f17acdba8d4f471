"""Finance routes: the reconciliation ledger (JSON or CSV) and carrier invoice import. Thin."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from freight.deps import FinanceDep, NowDep, SessionDep
from freight.errors import invalid
from freight.finance import service
from freight.finance.rules import COLUMNS, credit_totals, to_csv, utc_text

router = APIRouter(prefix="/api/v1/finance", tags=["finance"])


def _moment(name: str, value: str | None, *, end: bool) -> datetime | None:
    """ISO date or datetime; a bare `to` date includes that whole day (UTC)."""
    if value is None or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=1 if end else 0), time(0), tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise invalid(name, f"'{value}' is not an ISO-8601 date or date-time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@router.get("/reconciliation", response_model=None)
def reconciliation(
    _: FinanceDep,
    session: SessionDep,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
    format: Literal["json", "csv"] = "json",  # noqa: A002 - the documented query name
) -> Response | dict[str, Any]:
    """One row per outbound shipment: quote, hold, capture, label cost, adjustments, variance."""
    start, end = _moment("from", from_, end=False), _moment("to", to, end=True)
    if start and end and end <= start:
        raise invalid("to", "must be after 'from'")
    rows = service.reconciliation(session, start=start, end=end)
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
        "rows": [r.values for r in rows],
        "counts": {
            s: sum(1 for r in rows if r.status == s) for s in ("open", "reconciled", "mismatch")
        },
        "credit_refunds": credit_totals(rows),
    }


@router.post("/carrier-invoices")
async def import_carrier_invoice(
    request: Request, _: FinanceDep, session: SessionDep, now: NowDep
) -> dict[str, Any]:
    """Import a carrier invoice CSV (multipart field `file`, or a text/csv body); idempotent."""
    text = await _csv_text(request)
    report = service.import_invoice(session, text=text, now=now)
    return dict(report.__dict__)


async def _csv_text(request: Request) -> str:
    kind = request.headers.get("content-type", "")
    if kind.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise invalid("file", "attach the invoice CSV as the multipart field 'file'")
        raw = await upload.read()
    else:
        raw = await request.body()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise invalid("file", "the invoice must be UTF-8 text") from exc
