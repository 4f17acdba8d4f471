"""Tracking numbers per carrier, the first-scan rule (P-30DAY), the order of carrier events
(T-ORDER, T-DISTINCT, T-NEWEST, T-CARRIER-TIME) and customer wording. Pure."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType

from freight.carrier_registry import CARRIERS, normalize_carrier
from freight.rules import Decision, RuleError

_SEPARATORS = re.compile(r"[\s-]+")


def normalize_tracking_number(number: str) -> str:
    """Tracking numbers compare upper-case without spaces or dashes (as printed on labels)."""
    return _SEPARATORS.sub("", number.strip()).upper()


def check_tracking(carrier: str, number: str) -> tuple[str, str]:
    """(carrier token, normalized number), or RuleError naming the field that is wrong."""
    token = normalize_carrier(carrier)
    spec = CARRIERS.get(token)
    if spec is None:
        known = ", ".join(CARRIERS)
        raise RuleError(f"unknown carrier {carrier!r}; one of {known}", field="carrier")
    value = normalize_tracking_number(number)
    if token != "shippo":  # noqa: S105 - a carrier token (shippo's test carrier), not a secret
        value = value.replace("_", "")
    if not any(p.fullmatch(value) for p in spec.patterns):
        raise RuleError(
            f"{number!r} is not a {spec.name} tracking number (e.g. {spec.example})",
            field="tracking_number",
        )
    return token, value


def tracking_url(carrier: str | None, number: str | None) -> str | None:
    """The carrier's public tracking page for a number, when we know one."""
    spec = CARRIERS.get(normalize_carrier(carrier or ""))
    if spec is None or not spec.tracking_url or not number:
        return None
    return spec.tracking_url.format(number=number)


# First carrier scan (P-30DAY) ------------------------------------------------------------------

NOT_A_SCAN = frozenset({"PRE_TRANSIT", "UNKNOWN"})


def is_carrier_scan(status: str) -> bool:
    """A status that means the carrier physically has the parcel (a label alone is not a scan)."""
    return status not in NOT_A_SCAN


def first_scan_decision(*, scan_at: datetime, inbound_deadline: datetime) -> Decision | None:
    """P-30DAY: the decision to move an issued RR to inbound_in_transit, if the scan was in time."""
    if scan_at >= inbound_deadline:
        return None
    return Decision(
        "P-30DAY",
        "First carrier scan: the unit was handed to a carrier, so the 30-day window is satisfied.",
        "first_carrier_scan",
    )


# Customer wording ------------------------------------------------------------------------------

STATUS_TEXT: Mapping[str, str] = MappingProxyType(
    {
        "issued": "Your Repair Request is open. We are waiting for you to ship the unit.",
        "inbound_in_transit": "Your unit is on its way to our repair depot.",
        "received": "We received your unit and it is waiting for repair.",
        "in_repair": "Your unit is being repaired.",
        "ready_to_ship": "Your unit is repaired and ready to ship back to you.",
        "awaiting_payment": "Your unit is ready to ship; we are waiting for you to accept "
        "the freight quote.",
        "shipped": "Your unit is on its way back to you.",
        "delivered": "Your unit was delivered.",
        "closed": "This Repair Request is closed.",
        "cancelled": "This Repair Request was cancelled.",
        "rejected": "We could not accept your unit; it is being returned to you.",
        "refunded": "Your return was accepted and refunded.",
    }
)


STATUS_LABEL: Mapping[str, str] = MappingProxyType(
    {
        "issued": "Open", "inbound_in_transit": "On its way to us", "received": "Received",
        "in_repair": "In repair", "ready_to_ship": "Ready to ship", "awaiting_payment":
        "Waiting for your payment", "shipped": "Shipped", "delivered": "Delivered",
        "closed": "Closed", "cancelled": "Cancelled", "rejected": "Not accepted",
        "refunded": "Refunded",
    }
)  # fmt: skip
SHIPMENT_STATUS_LABEL: Mapping[str, str] = MappingProxyType(
    {
        "PRE_TRANSIT": "Label created", "TRANSIT": "In transit", "DELIVERED": "Delivered",
        "RETURNED": "Returned to sender", "FAILURE": "Delivery problem", "UNKNOWN": "No scan yet",
    }
)  # fmt: skip


def status_label(status: str) -> str:
    """The RR status as a short label ("awaiting_payment" → "Waiting for your payment")."""
    return STATUS_LABEL.get(status, status.replace("_", " ").capitalize())


def shipment_status_label(status: str, *, arrived: bool = False) -> str:
    """A carrier status in words; an inbound parcel we logged is "Arrived at the depot"."""
    if arrived:
        return "Arrived at the depot"
    return SHIPMENT_STATUS_LABEL.get(status, status.replace("_", " ").capitalize())


def status_text(status: str) -> str:
    """The RR status in plain words."""
    return STATUS_TEXT.get(status, status.replace("_", " ").capitalize() + ".")


@dataclass(frozen=True)
class TrackFacts:
    """What the customer's next steps depend on."""

    rr_number: str
    status: str
    inbound_deadline: str  # ISO date
    has_inbound_tracking: bool
    has_open_quote: bool
    has_delivered_outbound: bool


_SHIP_STEPS = (
    "Write your RR number {rr} clearly on the outside of the carton, or print and tape on the "
    "carton label from this page; unmarked cartons may be returned to you.",
    "Prepay the freight: COD and freight-collect packages are refused.",
    "Pack the unit well: we are not liable for loss or damage on the way to us.",
)
_INSPECT = (
    "Inspect the package when it is delivered and point out any visible damage to the carrier "
    "at once."
)
_CONCEALED = (
    "If you find concealed damage, keep the shipping container, packing material and unit "
    "intact and report it here."
)


def next_steps(facts: TrackFacts) -> list[str]:
    """What the customer should do next, in order."""
    s = facts.status
    if s == "issued":
        steps = [t.format(rr=facts.rr_number) for t in _SHIP_STEPS]
        steps.append(
            f"Hand the package to a carrier by {facts.inbound_deadline}, or the Repair Request is "
            "cancelled automatically."
        )
        if not facts.has_inbound_tracking:
            steps.append("Once shipped, add your carrier and tracking number here.")
        return steps
    if s == "inbound_in_transit":
        return ["Nothing to do: we will let you know when the unit arrives."]
    if s in ("received", "in_repair", "ready_to_ship"):
        return ["Nothing to do: we will email you when the unit ships."]
    if s == "awaiting_payment" or (s == "rejected" and facts.has_open_quote):
        return ["Accept the freight quote and give a card so we can ship the unit back to you."]
    if s == "shipped":
        return [_INSPECT]
    if s == "delivered" or facts.has_delivered_outbound:
        return [_INSPECT, _CONCEALED]
    if s == "rejected":
        return ["Nothing to do: we will email you the tracking number when the unit ships back."]
    return []


# Carrier event order (SPEC §10) ----------------------------------------------------------------
#
# T-DISTINCT  an event is identified by what the carrier said: time, status, substatus, location
#             and details; the same event delivered twice (webhook, poll, retry) is kept once,
#             two events that differ in any of these are both kept.
# T-ORDER     the history is in the carrier's time order (not arrival order); events of the same
#             second by identity, so any arrival order gives the same history.
# T-NEWEST    the shipment's status is that of its newest event (UNKNOWN never displaces a known
#             status; of events in the same second, the one furthest along), so DELIVERED/RETURNED
#             is never displaced by an older event.
# T-CARRIER-TIME  delivered_at is the carrier's time of the delivery scan, never processing time.
# P-30DAY     a scan dated before the RR was issued is not the RR's first carrier scan.

MAX_EVENT_TEXT = 2000  # the column sizes: an event is identified by what is stored of it
MAX_EVENT_LOCATION = 200
TERMINAL = frozenset({"DELIVERED", "RETURNED"})
_PROGRESS = {"PRE_TRANSIT": 1, "TRANSIT": 2, "FAILURE": 3, "RETURNED": 4, "DELIVERED": 5}


@dataclass(frozen=True)
class CarrierEvent:
    """One carrier tracking event as stored: UTC time to the second, text and location clipped."""

    occurred_at: datetime
    status: str
    substatus_code: str | None = None
    text: str = ""
    location: str | None = None

    @property
    def key(self) -> str:
        """T-DISTINCT: the event's identity (64 hex characters)."""
        parts = (
            self.occurred_at.isoformat(), self.status, self.substatus_code or "",
            self.text, self.location or "",
        )  # fmt: skip
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    @property
    def order(self) -> tuple[datetime, str]:
        """T-ORDER: the sort key of the history (the database orders by the same columns)."""
        return (self.occurred_at, self.key)


def carrier_event(
    *, occurred_at: datetime, status: str, substatus_code: str | None = None,
    text: str = "", location: str | None = None,
) -> CarrierEvent:  # fmt: skip
    """A CarrierEvent normalized as it is stored (UTC, whole seconds, clipped text)."""
    return CarrierEvent(
        occurred_at=occurred_at.astimezone(UTC).replace(microsecond=0),
        status=status,
        substatus_code=substatus_code or None,
        text=(text or "")[:MAX_EVENT_TEXT],
        location=location[:MAX_EVENT_LOCATION] if location else None,
    )


def merge_events(
    stored: Iterable[CarrierEvent], incoming: Iterable[CarrierEvent]
) -> tuple[list[CarrierEvent], list[CarrierEvent]]:
    """T-DISTINCT + T-ORDER: (the whole history in carrier time order, the events that are new)."""
    known: dict[str, CarrierEvent] = {e.key: e for e in stored}
    new: dict[str, CarrierEvent] = {}
    for event in incoming:
        if event.key not in known and event.key not in new:
            new[event.key] = event
    history = sorted([*known.values(), *new.values()], key=lambda e: e.order)
    return history, sorted(new.values(), key=lambda e: e.order)


@dataclass(frozen=True)
class TrackingState:
    """What a shipment's history says: status (T-NEWEST), the event it comes from, delivery and
    first-scan times (T-CARRIER-TIME, P-30DAY). None where the history does not say."""

    status: str | None
    newest: CarrierEvent | None
    delivered_at: datetime | None
    first_scan_at: datetime | None


def tracking_state(history: Sequence[CarrierEvent], *, issued_at: datetime) -> TrackingState:
    """The state a history (in T-ORDER) gives a shipment whose RR was issued at `issued_at`."""
    known = [e for e in history if e.status != "UNKNOWN"]
    newest = None
    if known:
        last = known[-1].occurred_at
        newest = max(
            (e for e in known if e.occurred_at == last),
            key=lambda e: (_PROGRESS.get(e.status, 0), e.key),
        )
    delivered_at = None
    if newest is not None and newest.status == "DELIVERED":
        # the delivery is the first DELIVERED scan after the last other known status
        for event in reversed(known):
            if event.status != "DELIVERED" and event.occurred_at < newest.occurred_at:
                break
            if event.status == "DELIVERED":
                delivered_at = event.occurred_at
    issued = issued_at.astimezone(UTC).replace(microsecond=0)
    scans = [
        e.occurred_at for e in history if is_carrier_scan(e.status) and e.occurred_at >= issued
    ]
    return TrackingState(
        status=newest.status if newest else None,
        newest=newest,
        delivered_at=delivered_at,
        first_scan_at=min(scans) if scans else None,
    )
