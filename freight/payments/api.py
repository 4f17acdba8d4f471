"""Payments routes: Stripe's webhooks, and the sandbox's browser side (what Stripe.js does)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from freight.deps import NowDep, SessionDep, SettingsDep
from freight.errors import ConflictError, NotFoundError, invalid
from freight.payments import webhooks
from freight.payments.port import PaymentsPort, PaymentStateError, UnknownPaymentMethod
from freight.ports import payments_port
from freight.schemas import Strict

router = APIRouter(tags=["payments"])


def _payments(settings: SettingsDep) -> PaymentsPort:
    port: PaymentsPort = payments_port(settings)
    return port


PaymentsDep = Annotated[PaymentsPort, Depends(_payments)]


async def _raw_body(request: Request) -> bytes:
    return await request.body()


class StripeWebhookOut(BaseModel):
    status: Literal["accepted", "duplicate", "ignored"]


_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


_EVENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object", "description": "A Stripe "
                    "Event {id, type, data: {object}}, signed in the Stripe-Signature header"}}},
    },
    "parameters": [
        {"name": "Stripe-Signature", "in": "header", "required": True,
         "schema": {"type": "string"}, "description": "t=…,v1=… (HMAC-SHA256 of t.body)"},
    ],
}  # fmt: skip


@router.post(
    "/webhooks/stripe",
    response_model=StripeWebhookOut,
    responses={400: {"description": "Bad signature or body", **_PROBLEM}},
    openapi_extra=_EVENT_BODY,
)
@router.post("/api/v1/webhooks/stripe", response_model=StripeWebhookOut, include_in_schema=False)
def stripe_webhook(
    request: Request,
    body: Annotated[bytes, Depends(_raw_body)],
    session: SessionDep,
    now: NowDep,
    payments: PaymentsDep,
) -> StripeWebhookOut:
    """A Stripe event, Stripe-Signature checked with FREIGHT_STRIPE_WEBHOOK_SECRET (the sandbox's
    own secret without a Stripe key); stored once per event id, applied in the background."""
    event = webhooks.parse(body, request.headers.get("stripe-signature"), payments.webhook_secret)
    return StripeWebhookOut(status=webhooks.ingest(session, event=event, now=now))


# --- the sandbox's browser side ----------------------------------------------------------------


class SandboxConfirmIn(Strict):
    client_secret: str = Field(min_length=1, max_length=200)
    payment_method: str = Field(
        min_length=1, max_length=100, description="A Stripe test payment method, e.g. pm_card_visa"
    )


class SandboxChallengeIn(Strict):
    client_secret: str = Field(min_length=1, max_length=200)
    outcome: Literal["pass", "fail"]


class SandboxErrorOut(BaseModel):
    code: str | None = None
    decline_code: str | None = None
    message: str | None = None


class SandboxIntentOut(BaseModel):
    """The fields of a PaymentIntent that Stripe.js shows a browser."""

    id: str
    object: str
    amount: int
    currency: str
    status: str
    capture_method: str
    client_secret: str
    next_action: dict[str, Any] | None
    last_payment_error: SandboxErrorOut | None


_SANDBOX_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No sandbox (a Stripe key is set) or no such intent", **_PROBLEM},
    409: {"description": "The intent cannot do that now", **_PROBLEM},
    422: {"description": "Bad input", **_PROBLEM},
}


def _sandbox(payments: PaymentsPort) -> Any:
    from freight.payments.sandbox import SandboxPayments

    if not isinstance(payments, SandboxPayments):
        raise NotFoundError("The sandbox card form is off: payments go through Stripe.")
    return payments


def _sandbox_call(fn: Any) -> SandboxIntentOut:
    try:
        return SandboxIntentOut.model_validate(fn())
    except UnknownPaymentMethod as exc:
        raise invalid("payment_method", exc.reason) from exc
    except PaymentStateError as exc:
        if exc.code == "resource_missing":
            raise NotFoundError(exc.reason) from exc
        raise ConflictError(exc.reason, code=exc.code) from exc


@router.post(
    "/sandbox/stripe/v1/payment_intents/{intent_id}/confirm",
    response_model=SandboxIntentOut,
    responses=_SANDBOX_ERRORS,
)
def sandbox_confirm(
    intent_id: str, body: SandboxConfirmIn, payments: PaymentsDep
) -> SandboxIntentOut:
    """The sandbox card form confirms an intent with its client secret (as Stripe.js does)."""
    sandbox = _sandbox(payments)
    return _sandbox_call(
        lambda: sandbox.confirm_from_browser(intent_id, body.client_secret, body.payment_method)
    )


@router.post(
    "/sandbox/stripe/v1/payment_intents/{intent_id}/challenge",
    response_model=SandboxIntentOut,
    responses=_SANDBOX_ERRORS,
)
def sandbox_challenge(
    intent_id: str, body: SandboxChallengeIn, payments: PaymentsDep
) -> SandboxIntentOut:
    """The customer completes or fails the sandbox's 3-D Secure challenge."""
    sandbox = _sandbox(payments)
    return _sandbox_call(
        lambda: sandbox.challenge(intent_id, body.client_secret, passed=body.outcome == "pass")
    )


class SandboxSetupOut(BaseModel):
    """The fields of a SetupIntent that Stripe.js shows a browser."""

    id: str
    object: str
    status: str
    usage: str
    client_secret: str
    payment_method: str | None
    next_action: dict[str, Any] | None
    last_setup_error: SandboxErrorOut | None


@router.post(
    "/sandbox/stripe/v1/setup_intents/{setup_id}/challenge",
    response_model=SandboxSetupOut,
    responses=_SANDBOX_ERRORS,
)
def sandbox_setup_challenge(
    setup_id: str, body: SandboxChallengeIn, payments: PaymentsDep
) -> SandboxSetupOut:
    """The customer completes or fails the 3-D Secure challenge of a card being saved."""
    sandbox = _sandbox(payments)
    try:
        data = sandbox.challenge_setup(setup_id, body.client_secret, passed=body.outcome == "pass")
    except PaymentStateError as exc:
        if exc.code == "resource_missing":
            raise NotFoundError(exc.reason) from exc
        raise ConflictError(exc.reason, code=exc.code) from exc
    return SandboxSetupOut.model_validate(data)
