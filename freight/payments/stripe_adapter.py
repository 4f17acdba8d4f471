"""StripePayments: the PaymentsPort on the official `stripe` SDK, and the check of Stripe's
webhook signatures (`verify_event`). The only module importing `stripe`.

A quote's hold is a PaymentIntent with capture_method=manual created for a Customer and saved for
off-session use (setup_future_usage=off_session), not confirmed here: the customer's browser
confirms it with its client secret (Stripe.js runs any 3-D Secure challenge), and the service
counts it as a hold only in `requires_capture`. Scripts may confirm with a payment-method token
(`confirm_intent`); `requires_action` is then returned, never reported as a decline. A hold that
would lapse is replaced off-session (`reauthorize`, off_session=true, confirm=true); a bank that
wants the customer again answers 402 `authentication_required`, and that intent is the one the
customer confirms. Capture sends amount_to_capture; refunds go through the Refund API. Every write
carries the caller's idempotency key, so a retried call after a lost answer never authorizes,
captures or refunds twice.

Advance replacements save a card with a SetupIntent (usage=off_session, for a new Customer; the
browser confirms it with confirmCardSetup / the Payment Element in setup mode) and charge it later
with a PaymentIntent (off_session=true, confirm=true, automatic capture, the SetupIntent's
payment method) whose metadata carries the charge's idempotency key, so `find_charge` can look it
up (Search API) before a rerun charges again after Stripe's 24-hour key replay window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import stripe

from freight.money import Money
from freight.payments.port import (
    AuthenticationRequired,
    CardDeclined,
    Charge,
    Intent,
    PaymentError,
    PaymentStateError,
    PaymentUnavailable,
    Settlement,
    SetupIntent,
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
        webhook_secret: str | None = None,
        publishable_key: str | None = None,
        timeout: float = 20.0,
        max_network_retries: int = 2,
    ) -> None:
        addresses: dict[str, str] = {"api": base_url.rstrip("/")} if base_url else {}
        self.webhook_secret = webhook_secret
        self.publishable_key = publishable_key
        self._client = stripe.StripeClient(
            api_key,
            base_addresses=addresses,  # type: ignore[arg-type]
            http_client=stripe.RequestsClient(timeout=timeout),
            max_network_retries=max_network_retries,
        )

    def create_intent(
        self, amount: Money, *, idempotency_key: str, metadata: dict[str, str], email: str | None
    ) -> Intent:
        """A Customer and an unconfirmed manual-capture PaymentIntent saved for off-session use."""
        customer_params: Any = {"metadata": metadata, **({"email": email} if email else {})}
        customer = self._call(
            lambda: self._client.v1.customers.create(
                params=customer_params, options={"idempotency_key": idempotency_key + ":customer"}
            )
        )
        params: Any = {
            "amount": to_minor(amount),
            "currency": amount.currency.lower(),
            "customer": _field(customer, "id"),
            "payment_method_types": ["card"],
            "capture_method": "manual",
            "setup_future_usage": "off_session",
            "metadata": metadata,
        }
        intent = self._call(
            lambda: self._client.v1.payment_intents.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        )
        return intent_of(intent, amount.currency)

    def confirm_intent(self, ref: str, payment_method: str, *, idempotency_key: str) -> Intent:
        """Confirm with a payment-method token; `requires_action` comes back as it is."""
        params: Any = {"payment_method": payment_method}
        intent = self._call(
            lambda: self._client.v1.payment_intents.confirm(
                ref, params=params, options={"idempotency_key": idempotency_key}
            )
        )
        return intent_of(intent)

    def retrieve_intent(self, ref: str) -> Intent:
        """The PaymentIntent now (with its client secret: we hold the secret key)."""
        return intent_of(self._call(lambda: self._client.v1.payment_intents.retrieve(ref)))

    def reauthorize(
        self,
        amount: Money,
        *,
        customer: str,
        payment_method: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> Intent:
        """A new manual-capture hold with the saved card, the customer not present."""
        params: Any = {
            "amount": to_minor(amount),
            "currency": amount.currency.lower(),
            "customer": customer,
            "payment_method": payment_method,
            "payment_method_types": ["card"],
            "capture_method": "manual",
            "off_session": True,
            "confirm": True,
            "metadata": metadata,
        }
        try:
            intent = self._call(
                lambda: self._client.v1.payment_intents.create(
                    params=params, options={"idempotency_key": idempotency_key}
                ),
                raw_card_errors=True,
            )
        except stripe.CardError as exc:
            error = getattr(exc, "error", None)
            pending = _field(error, "payment_intent")
            if exc.code == "authentication_required":
                raise AuthenticationRequired(
                    _message(exc), ref=str(_field(pending, "id") or "") or None
                ) from exc
            raise _declined(exc) from exc
        result = intent_of(intent, amount.currency)
        if result.status != "requires_capture":
            raise CardDeclined(
                result.reason or f"The card could not be held again ({result.status}).",
                code=result.status,
                decline_code=result.error_code,
            )
        return result

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

    def create_setup_intent(
        self, *, idempotency_key: str, metadata: dict[str, str], email: str | None
    ) -> SetupIntent:
        """A Customer and an unconfirmed SetupIntent saving a card for off-session use."""
        customer_params: Any = {"metadata": metadata, **({"email": email} if email else {})}
        customer = self._call(
            lambda: self._client.v1.customers.create(
                params=customer_params, options={"idempotency_key": idempotency_key + ":customer"}
            )
        )
        params: Any = {
            "customer": _field(customer, "id"),
            "payment_method_types": ["card"],
            "usage": "off_session",
            "metadata": metadata,
        }
        setup = self._call(
            lambda: self._client.v1.setup_intents.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        )
        return setup_of(setup)

    def confirm_setup_intent(
        self, ref: str, payment_method: str, *, idempotency_key: str
    ) -> SetupIntent:
        """Confirm with a payment-method token (scripts); `requires_action` comes back as it is."""
        params: Any = {"payment_method": payment_method}
        setup = self._call(
            lambda: self._client.v1.setup_intents.confirm(
                ref, params=params, options={"idempotency_key": idempotency_key}
            )
        )
        return setup_of(setup)

    def retrieve_setup_intent(self, ref: str) -> SetupIntent:
        return setup_of(self._call(lambda: self._client.v1.setup_intents.retrieve(ref)))

    def charge_off_session(
        self,
        amount: Money,
        *,
        customer: str,
        payment_method: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> Charge:
        """Charge the saved card now, the customer not present (automatic capture)."""
        params: Any = {
            "amount": to_minor(amount),
            "currency": amount.currency.lower(),
            "customer": customer,
            "payment_method": payment_method,
            "payment_method_types": ["card"],
            "off_session": True,
            "confirm": True,
            "metadata": {**metadata, "charge_key": idempotency_key},
        }
        try:
            intent = self._call(
                lambda: self._client.v1.payment_intents.create(
                    params=params, options={"idempotency_key": idempotency_key}
                ),
                raw_card_errors=True,
            )
        except stripe.CardError as exc:
            pending = _field(getattr(exc, "error", None), "payment_intent")
            if exc.code == "authentication_required":
                raise AuthenticationRequired(
                    _message(exc), ref=str(_field(pending, "id") or "") or None
                ) from exc
            raise _declined(exc) from exc
        result = intent_of(intent, amount.currency)
        if result.status != "succeeded":
            raise CardDeclined(
                result.reason or f"The card could not be charged ({result.status}).",
                code=result.status,
                decline_code=result.error_code,
            )
        return Charge(ref=result.ref, status="succeeded", amount=result.amount)

    def find_charge(self, idempotency_key: str) -> Charge | None:
        """The succeeded PaymentIntent whose metadata carries this charge key (Search API)."""
        quoted = idempotency_key.replace("\\", "\\\\").replace("'", "\\'")
        params: Any = {"query": f"metadata['charge_key']:'{quoted}'", "limit": 10}
        found = self._call(lambda: self._client.v1.payment_intents.search(params=params))
        for item in _field(found, "data") or []:
            intent = intent_of(item)
            if intent.status == "succeeded":
                return Charge(ref=intent.ref, status="succeeded", amount=intent.amount)
        return None

    def _call(self, fn: Callable[[], T], *, raw_card_errors: bool = False) -> T:
        try:
            return fn()
        except stripe.CardError as exc:
            if raw_card_errors:
                raise
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


def intent_of(intent: Any, currency: str | None = None) -> Intent:
    """A Stripe PaymentIntent → the port's Intent (no SDK type leaves this module)."""
    cur = str(_field(intent, "currency") or currency or "usd").upper()
    error = _field(intent, "last_payment_error")
    metadata = _field(intent, "metadata")
    meta = dict(metadata.items()) if hasattr(metadata, "items") else {}
    return Intent(
        ref=str(_field(intent, "id")),
        status=str(_field(intent, "status")),
        amount=from_minor(int(_field(intent, "amount") or 0), cur),
        client_secret=_text(_field(intent, "client_secret")),
        capturable=from_minor(int(_field(intent, "amount_capturable") or 0), cur),
        customer=_ref(_field(intent, "customer")),
        payment_method=_ref(_field(intent, "payment_method")),
        error_code=_text(_field(error, "decline_code") or _field(error, "code")),
        reason=_text(_field(error, "message")),
        metadata={str(k): str(v) for k, v in meta.items()},
    )


def setup_of(setup: Any) -> SetupIntent:
    """A Stripe SetupIntent → the port's SetupIntent."""
    error = _field(setup, "last_setup_error")
    metadata = _field(setup, "metadata")
    meta = dict(metadata.items()) if hasattr(metadata, "items") else {}
    return SetupIntent(
        ref=str(_field(setup, "id")),
        status=str(_field(setup, "status")),
        client_secret=_text(_field(setup, "client_secret")),
        customer=_ref(_field(setup, "customer")),
        payment_method=_ref(_field(setup, "payment_method")),
        error_code=_text(_field(error, "decline_code") or _field(error, "code")),
        reason=_text(_field(error, "message")),
        metadata={str(k): str(v) for k, v in meta.items()},
    )


def _text(value: Any) -> str | None:
    return str(value) if value else None


def _ref(value: Any) -> str | None:
    """An id, whether Stripe sent the id or the expanded object."""
    if value is None or isinstance(value, str):
        return value
    return _text(_field(value, "id"))


class SignatureError(PaymentError):
    """A Stripe-Signature header that does not match the body (or is missing, or too old)."""


def verify_event(payload: bytes, signature: str | None, secret: str) -> str:
    """Check a webhook delivery's Stripe-Signature with the SDK; the event's id ("" if none)."""
    try:
        event = stripe.Webhook.construct_event(payload, signature or "", secret)
    except stripe.SignatureVerificationError as exc:
        raise SignatureError(str(exc.user_message or exc), code="signature_invalid") from exc
    return str(getattr(event, "id", "") or "")
