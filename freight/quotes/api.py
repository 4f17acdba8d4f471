"""Quote routes: the customer accepts with a card; staff or the customer read. Thin."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from freight.deps import NowDep, PrincipalDep, SessionDep, SettingsDep, rr_access
from freight.payments.port import PaymentsPort
from freight.ports import payments_port
from freight.quotes import checkout, service
from freight.quotes import repository as repo
from freight.quotes.schemas import (
    AcceptQuoteIn,
    CheckoutOut,
    QuoteOut,
    intent_out,
    quote_out,
)
from freight.repairs.models import RepairRequest

router = APIRouter(prefix="/api/v1", tags=["quotes"])


def get_payments(settings: SettingsDep) -> PaymentsPort:
    port: PaymentsPort = payments_port(settings)
    return port


PaymentsDep = Annotated[PaymentsPort, Depends(get_payments)]


_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_PAY_ERRORS: dict[int | str, dict[str, Any]] = {
    402: {"description": "Declined, or the card's bank refused the authentication", **_PROBLEM},
    409: {"description": "The quote is not open (accepted, expired, superseded)", **_PROBLEM},
    503: {"description": "The payment processor is unavailable", **_PROBLEM},
}


def _checkout_out(done: checkout.Checkout, payments: PaymentsPort) -> CheckoutOut:
    base = quote_out(done.quote, done.rr.rr_number, done.payment)
    key = getattr(payments, "publishable_key", None)
    return CheckoutOut(
        **base.model_dump(),
        payment_intent=intent_out(done.intent, provider=payments.name, publishable_key=key),
    )


@router.post("/quotes/{quote_id}/accept", response_model=CheckoutOut, responses=_PAY_ERRORS)
def accept_quote(
    quote_id: str,
    body: AcceptQuoteIn,
    who: PrincipalDep,
    session: SessionDep,
    now: NowDep,
    payments: PaymentsDep,
) -> CheckoutOut:
    """The RR's customer accepts: a manual-capture PaymentIntent (one per quote) whose client
    secret the card form confirms; the quote is accepted once the card is held."""
    done = checkout.accept_quote(
        session, quote_id=quote_id, principal=who, payment_method=body.payment_method,
        payments=payments, now=now,
    )  # fmt: skip
    return _checkout_out(done, payments)


@router.post("/quotes/{quote_id}/confirm", response_model=CheckoutOut, responses=_PAY_ERRORS)
def confirm_payment(
    quote_id: str, who: PrincipalDep, session: SessionDep, now: NowDep, payments: PaymentsDep
) -> CheckoutOut:
    """After the card form: the service reads the intent; held → accepted; refused → 402."""
    done = checkout.confirm_payment(
        session, quote_id=quote_id, principal=who, payments=payments, now=now
    )
    return _checkout_out(done, payments)


@router.get("/quotes/{quote_id}/payment-intent", response_model=CheckoutOut, responses=_PAY_ERRORS)
def waiting_intent(
    quote_id: str, who: PrincipalDep, session: SessionDep, payments: PaymentsDep
) -> CheckoutOut:
    """The intent waiting for the customer's card form (an open quote's, or a hold placed
    again that the bank wants them to confirm)."""
    done = checkout.waiting_intent(session, quote_id=quote_id, principal=who, payments=payments)
    return _checkout_out(done, payments)


@router.get("/quotes/{quote_id}", response_model=QuoteOut)
def get_quote(quote_id: str, who: PrincipalDep, session: SessionDep) -> QuoteOut:
    """One quote with its payment (staff, or the RR's customer)."""
    quote = service.get_quote(session, quote_id)
    rr = session.get_one(RepairRequest, quote.rr_id)
    rr_access(who, rr.rr_number)
    return quote_out(quote, rr.rr_number, repo.payment_for(session, quote.id))
