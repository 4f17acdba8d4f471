"""StripePayments: the PaymentsPort on the official `stripe` SDK. The only module importing it.

Holds are PaymentIntents created with capture_method=manual and confirm=true; capture sends
amount_to_capture; refunds go through the Refund API. Every call carries the caller's idempotency
key, so a retried call after a lost answer never authorizes, captures or refunds twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import stripe

from freight.money import Money
from freight.payments.port import (
    Authorization,
    CardDeclined,
    PaymentError,
    PaymentStateError,
    PaymentUnavailable,
    Settlement,
    UnknownPaymentMethod,
    from_minor,
    to_minor,
)

log = logging.getLogger("freight.payments.stripe")
T = TypeVar("T")


class StripePayments:
    """Card holds with manual capture through Stripe (or anything speaking its API)."""

    name = "stripe"

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        timeout: float = 20.0,
        max_network_retries: int = 2,
    ) -> None:
        addresses: dict[str, str] = {"api": base_url.rstrip("/")} if base_url else {}
        self._client = stripe.StripeClient(
            api_key,
            base_addresses=addresses,  # type: ignore[arg-type]
            http_client=stripe.RequestsClient(timeout=timeout),
            max_network_retries=max_network_retries,
        )

    def authorize(
        self, amount: Money, payment_method: str, *, idempotency_key: str, metadata: dict[str, str]
    ) -> Authorization:
        """Create and confirm a manual-capture PaymentIntent for `amount`."""
        params: Any = {
            "amount": to_minor(amount),
            "currency": amount.currency.lower(),
            "payment_method": payment_method,
            "payment_method_types": ["card"],
            "capture_method": "manual",
            "confirm": True,
            "metadata": metadata,
        }
        intent = self._call(
            lambda: self._client.v1.payment_intents.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        )
        status = str(_field(intent, "status"))
        if status != "requires_capture":
            reason = _intent_reason(intent) or f"The payment could not be authorized ({status})."
            raise CardDeclined(reason, code=status)
        held = from_minor(
            int(_field(intent, "amount") or 0), str(_field(intent, "currency") or amount.currency)
        )
        log.info(
            "payment.authorized", extra={"event": "payment.authorized", "ref": _field(intent, "id")}
        )
        return Authorization(ref=str(_field(intent, "id")), status="authorized", amount=held)

    def capture(self, ref: str, amount: Money, *, idempotency_key: str) -> Settlement:
        """Capture `amount` (at most the hold) of a PaymentIntent."""
        intent = self._call(
            lambda: self._client.v1.payment_intents.capture(
                ref,
                params={"amount_to_capture": to_minor(amount)},
                options={"idempotency_key": idempotency_key},
            )
        )
        received = int(_field(intent, "amount_received") or 0)
        return Settlement(ref, "captured", from_minor(received, amount.currency))

    def cancel(self, ref: str, *, idempotency_key: str) -> Settlement:
        """Cancel an uncaptured PaymentIntent (releases the hold)."""
        intent = self._call(
            lambda: self._client.v1.payment_intents.cancel(
                ref, options={"idempotency_key": idempotency_key}
            )
        )
        currency = str(_field(intent, "currency") or "usd").upper()
        return Settlement(
            ref, "cancelled", from_minor(int(_field(intent, "amount") or 0), currency)
        )

    def refund(self, ref: str, amount: Money, *, idempotency_key: str) -> Settlement:
        """Refund `amount` of a captured PaymentIntent."""
        # Web-store orders may name the charge rather than the PaymentIntent.
        target = "charge" if ref.startswith(("ch_", "py_")) else "payment_intent"
        params: Any = {target: ref, "amount": to_minor(amount)}
        refund = self._call(
            lambda: self._client.v1.refunds.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        )
        return Settlement(
            ref, "refunded", from_minor(int(_field(refund, "amount") or 0), amount.currency),
            refund_id=str(_field(refund, "id") or "") or None,
        )  # fmt: skip

    def _call(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except stripe.CardError as exc:
            raise _declined(exc) from exc
        except stripe.InvalidRequestError as exc:
            raise _invalid(exc) from exc
        except stripe.IdempotencyError as exc:
            raise PaymentStateError(_message(exc), code="idempotency_error") from exc
        except stripe.StripeError as exc:
            # Connection, rate limit, API and auth errors: the caller retries with the same key.
            raise PaymentUnavailable(_message(exc), code=getattr(exc, "code", None)) from exc


def _message(exc: stripe.StripeError) -> str:
    error = getattr(exc, "error", None)
    text = getattr(error, "message", None) or exc.user_message or str(exc)
    return str(text)


def _declined(exc: stripe.CardError) -> CardDeclined:
    error = getattr(exc, "error", None)
    return CardDeclined(
        _message(exc),
        code=exc.code or "card_declined",
        decline_code=getattr(error, "decline_code", None),
    )


def _invalid(exc: stripe.InvalidRequestError) -> PaymentError:
    param = getattr(exc, "param", None) or getattr(getattr(exc, "error", None), "param", None)
    if exc.code == "resource_missing" and param == "payment_method":
        return UnknownPaymentMethod(_message(exc), code=exc.code)
    return PaymentStateError(_message(exc), code=exc.code)


def _field(obj: Any, name: str) -> Any:
    """A field of a Stripe object (attribute access works on every SDK version we support)."""
    return getattr(obj, name, None)


def _intent_reason(intent: Any) -> str | None:
    message = _field(_field(intent, "last_payment_error"), "message")
    return str(message) if message else None
