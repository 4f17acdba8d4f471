"""The carrier port: the one Protocol the service talks to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from carriers.types import (
    Address,
    Label,
    Manifest,
    Pickup,
    Rate,
    RateList,
    RateRequest,
    Refund,
    TrackingInfo,
)


class CarrierPort(Protocol):
    """Rate, buy, void and track shipments with a carrier aggregator."""

    def validate_address(self, address: Address) -> Address:
        """Return the carrier's normalized address (is_residential set) or raise AddressInvalid."""
        ...

    def rate(self, request: RateRequest) -> RateList:
        """Return the carrier's rates for a shipment, cheapest first, and the carriers that could
        not answer this time (`temporarily_missing`)."""
        ...

    def buy_label(
        self,
        rate: Rate,
        *,
        metadata: str,
        label_format: str = "PDF_4x6",
        may_exist: bool = True,
        earlier_rates: Sequence[str] = (),
    ) -> Label:
        """Buy a label for `rate`, unless one was bought for it (when `may_exist`) or for one of
        `earlier_rates` (the shipment's other recorded rate ids): that label is returned instead.
        Raises LabelPending while the carrier still processes it, RateNotFound for an old rate."""
        ...

    def find_label(self, rate_ids: Sequence[str]) -> Label | None:
        """The label bought for any of these rate ids, if any (LabelPending while QUEUED)."""
        ...

    def get_label(self, transaction_id: str) -> Label:
        """The label as it is now, with fresh document URLs (LabelPending while QUEUED)."""
        ...

    def get_label_file(self, label: Label, *, document: str = "label") -> bytes:
        """Download the label file (or the `commercial_invoice`), refreshing an expired URL."""
        ...

    def void_label(self, transaction_id: str) -> Refund:
        """Ask the carrier to refund an unused label; the refund may still be QUEUED/PENDING."""
        ...

    def get_refund(self, refund_id: str) -> Refund:
        """The refund's status now (QUEUED, PENDING, SUCCESS or ERROR)."""
        ...

    def get_tracking(self, carrier: str, tracking_number: str) -> TrackingInfo:
        """Return the current tracking state."""
        ...

    def subscribe_tracking(
        self, carrier: str, tracking_number: str, *, metadata: str
    ) -> TrackingInfo:
        """Register for track_updated webhooks and return the current state."""
        ...

    def create_manifest(
        self,
        *,
        carrier_account: str,
        ship_date: date,
        transaction_ids: Sequence[str],
        address: Address,
    ) -> Manifest:
        """Close out these labels of one day into a manifest (SCAN form)."""
        ...

    def find_manifest(
        self, *, carrier_account: str, ship_date: date, transaction_ids: Sequence[str]
    ) -> Manifest | None:
        """A manifest made before for this account and day holding all these labels, if any."""
        ...

    def get_manifest_file(self, manifest: Manifest) -> bytes:
        """Download the manifest's document (PDF)."""
        ...

    def create_pickup(
        self,
        *,
        carrier_account: str,
        transaction_ids: Sequence[str],
        start: datetime,
        end: datetime,
        address: Address,
        metadata: str,
    ) -> Pickup:
        """Book a pickup of these labels within [start, end]."""
        ...
