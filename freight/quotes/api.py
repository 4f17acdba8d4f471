"""Quote routes: the customer accepts with a card; staff or the customer read. Thin."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from freight.deps import NowDep, PrincipalDep, SessionDep, SettingsDep, rr_access
from freight.payments.port import PaymentsPort
from freight.ports import payments_port
from freight.quotes import repository as repo
from freight.quotes import service
from freight.quotes.schemas import AcceptQuoteIn, QuoteOut, quote_out
from freight.repairs.models import RepairRequest
from freight.repairs.views import SECTION_LOADERS

router = APIRouter(prefix="/api/v1", tags=["quotes"])


def get_payments(settings: SettingsDep) -> PaymentsPort:
    port: PaymentsPort = payments_port(settings)
    return port


PaymentsDep = Annotated[PaymentsPort, Depends(get_payments)]


@router.post("/quotes/{quote_id}/accept", response_model=QuoteOut)
def accept_quote(
    quote_id: str,
    body: AcceptQuoteIn,
    who: PrincipalDep,
    session: SessionDep,
    now: NowDep,
    payments: PaymentsDep,
) -> QuoteOut:
    """The RR's customer accepts; the card is held now, captured when the label is bought."""
    quote, payment, rr = service.accept_quote(
        session,
        quote_id=quote_id,
        principal=who,
        payment_method=body.payment_method,
        payments=payments,
        now=now,
    )
    return quote_out(quote, rr.rr_number, payment)


@router.get("/quotes/{quote_id}", response_model=QuoteOut)
def get_quote(quote_id: str, who: PrincipalDep, session: SessionDep) -> QuoteOut:
    """One quote with its payment (staff, or the RR's customer)."""
    quote = service.get_quote(session, quote_id)
    rr = session.get(RepairRequest, quote.rr_id)
    assert rr is not None
    rr_access(who, rr.rr_number)
    return quote_out(quote, rr.rr_number, repo.payment_for(session, quote.id))


def _quotes_section(session: Session, rr: RepairRequest) -> list[dict[str, Any]]:
    quotes = repo.for_rr(session, rr.id)
    payments = repo.payments_for(session, [q.id for q in quotes])
    return [quote_out(q, rr.rr_number, payments.get(q.id)).model_dump(mode="json") for q in quotes]


SECTION_LOADERS["quotes"] = _quotes_section
