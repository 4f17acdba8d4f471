"""Carrier adapters behind one Protocol; no SDK type leaves this package."""

from carriers.config import CarrierConfig
from carriers.errors import (
    AddressInvalid,
    AmbiguousPurchase,
    CarrierError,
    CarrierRejected,
    CarrierUnavailable,
    InvalidParcel,
    LabelNotRefundable,
    LabelPending,
    LiveModeRequired,
    RateNotFound,
    UnexpectedResponse,
    WebhookPayloadError,
)
from carriers.limits import CallGate
from carriers.port import CarrierPort
from carriers.types import (
    Address,
    CustomsDeclaration,
    CustomsItem,
    Incident,
    Label,
    Parcel,
    Rate,
    RateList,
    RateRequest,
    Refund,
    Substatus,
    TrackingEvent,
    TrackingInfo,
)
from carriers.webhooks import WebhookEvent, parse_webhook

__all__ = [
    "Address",
    "AddressInvalid",
    "AmbiguousPurchase",
    "CarrierConfig",
    "CarrierError",
    "CarrierPort",
    "CarrierRejected",
    "CarrierUnavailable",
    "CustomsDeclaration",
    "CustomsItem",
    "Incident",
    "InvalidParcel",
    "Label",
    "LabelNotRefundable",
    "LabelPending",
    "LiveModeRequired",
    "Parcel",
    "Rate",
    "RateList",
    "RateNotFound",
    "RateRequest",
    "Refund",
    "Substatus",
    "TrackingEvent",
    "TrackingInfo",
    "UnexpectedResponse",
    "WebhookEvent",
    "WebhookPayloadError",
    "parse_webhook",
]


def build_carrier(config: CarrierConfig, gate: CallGate | None = None) -> CarrierPort:
    """The CarrierPort for a config (imports the SDK only when called)."""
    from carriers.factory import build_carrier as build

    return build(config, gate)
