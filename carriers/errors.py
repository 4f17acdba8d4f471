"""Typed carrier errors; the carrier's own message is kept in `carrier_message`."""

from __future__ import annotations


class CarrierError(Exception):
    """Base of every error raised by `carriers`."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        carrier_message: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message if not carrier_message else f"{message}: {carrier_message}")
        self.message = message
        self.carrier_message = carrier_message
        self.status_code = status_code


class CarrierRejected(CarrierError):
    """The carrier refused the request (4xx or an ERROR object)."""


class CarrierUnavailable(CarrierError):
    """Timeouts, 429 or 5xx that outlasted the retry budget."""

    retryable = True


class AddressInvalid(CarrierRejected):
    """The carrier says the address is incomplete, unknown or undeliverable."""


class InvalidParcel(CarrierRejected):
    """Weight or dimensions the carrier (or we) refuse."""


class RateNotFound(CarrierRejected):
    """The rate id is unknown, foreign or expired; re-rate the shipment."""


class LabelNotRefundable(CarrierRejected):
    """The label was used, already refunded, or cannot be voided."""


class AmbiguousPurchase(CarrierError):
    """A purchase may or may not have happened and the lookup could not tell."""

    retryable = True


class LabelPending(CarrierError):
    """The carrier accepted the purchase but has not produced the label yet (QUEUED/WAITING).

    Retry later (a job with back-off) or wait for `transaction_updated`: never buy again."""

    retryable = True

    def __init__(self, transaction_id: str, status: str, *, rate_id: str | None = None) -> None:
        super().__init__(f"label purchase {transaction_id} is still {status}")
        self.transaction_id = transaction_id
        self.status = status
        self.rate_id = rate_id


class LiveModeRequired(CarrierRejected):
    """A test-mode object (label, rate, event) where only live ones may be used."""


class WebhookPayloadError(CarrierError):
    """A webhook body that is not a Shippo event we understand."""


class UnexpectedResponse(CarrierError):
    """A carrier answer whose shape we cannot read."""
