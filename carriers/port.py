"""The carrier port: the one Protocol the service talks to."""

from __future__ import annotations

from typing import Protocol

from carriers.types import Address, Label, Rate, RateRequest, TrackingInfo


class CarrierPort(Protocol):
    """Rate, buy, void and track shipments with a carrier aggregator."""

    def validate_address(self, address: Address) -> Address:
        """Return the carrier's normalized address or raise AddressInvalid."""
        ...

    def rate(self, request: RateRequest) -> list[Rate]:
        """Return the carrier's rates for a shipment, cheapest first."""
        ...

    def buy_label(
        self, rate: Rate, *, metadata: str, label_format: str = "PDF_4x6", may_exist: bool = True
    ) -> Label:
        """Buy a label once per metadata; an existing label for it is returned instead.

        `may_exist=False`: the caller knows no earlier attempt was made under this metadata, so the
        up-front look-up is skipped; an ambiguous failure is still looked up before any retry."""
        ...

    def find_label(self, metadata: str) -> Label | None:
        """Return the successful label bought with this metadata, if any."""
        ...

    def get_label_file(self, label: Label) -> bytes:
        """Fetch the label file bytes."""
        ...

    def void_label(self, transaction_id: str) -> str:
        """Refund an unused label; return the refund status."""
        ...

    def get_tracking(self, carrier: str, tracking_number: str) -> TrackingInfo:
        """Return the current tracking state."""
        ...

    def subscribe_tracking(
        self, carrier: str, tracking_number: str, *, metadata: str
    ) -> TrackingInfo:
        """Register for track_updated webhooks and return the current state."""
        ...
