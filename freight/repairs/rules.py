"""Repair Request lifecycle, RR numbers, deadlines, receipt inspection and credit refunds. Pure.

Lifecycle (SPEC §3). Main path: issued → inbound_in_transit → received → in_repair →
ready_to_ship → (awaiting_payment when quoted) → shipped → delivered → closed.

System moves (`TRANSITIONS`, checked by `check_transition`):
- issued → inbound_in_transit (first carrier scan) | received | rejected (receipt refused;
  the customer may never have registered tracking) | cancelled (P-30DAY or staff).
- inbound_in_transit → received | rejected | cancelled (staff only; P-30DAY never applies
  once a carrier has scanned the unit).
- received → in_repair | rejected (found damaged or out of warranty) | refunded (accepted
  credit return) | cancelled (staff).
- in_repair → ready_to_ship | rejected (out of warranty found during repair) | cancelled.
- ready_to_ship → awaiting_payment (P-QUOTE) | shipped (label bought).
- awaiting_payment → shipped | ready_to_ship (quote expired, declined or superseded: re-rate).
- shipped → delivered | ready_to_ship (label voided or the parcel came back to the depot).
- delivered → closed.
- rejected → awaiting_payment (return to sender is quoted) | shipped (vendor-paid return to
  sender) | closed (nothing to send back, e.g. unit refused at the door).
- closed, cancelled, refunded are terminal.

Staff moves (`STAFF_TRANSITIONS`, POST /repair-requests/{rr}/status) are a subset: received →
in_repair, in_repair → ready_to_ship, delivered → closed, and cancel from issued,
inbound_in_transit, received, in_repair. Everything else is made by the receipt desk, labels,
quotes and tracking.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

from freight.money import Money

# Re-exported so the service/API layers can import everything RR-related from one module.
from freight.rules import Decision as Decision
from freight.rules import Lifecycle
from freight.rules import RuleError as RuleError
from freight.rules import TransitionError as TransitionError


class RRStatus(StrEnum):
    ISSUED = "issued"
    INBOUND_IN_TRANSIT = "inbound_in_transit"
    RECEIVED = "received"
    IN_REPAIR = "in_repair"
    READY_TO_SHIP = "ready_to_ship"
    AWAITING_PAYMENT = "awaiting_payment"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    REFUNDED = "refunded"


_S = RRStatus

# The unit is still with the customer: the RR is open and its unit has not reached the depot
# (the receiving desk, inbound tracking and an advance replacement, ADV-ELIGIBLE, use this set).
AWAITING_UNIT = frozenset({_S.ISSUED, _S.INBOUND_IN_TRANSIT})

TRANSITIONS: Mapping[RRStatus, frozenset[RRStatus]] = MappingProxyType(
    {
        _S.ISSUED: frozenset({_S.INBOUND_IN_TRANSIT, _S.RECEIVED, _S.REJECTED, _S.CANCELLED}),
        _S.INBOUND_IN_TRANSIT: frozenset({_S.RECEIVED, _S.REJECTED, _S.CANCELLED}),
        _S.RECEIVED: frozenset({_S.IN_REPAIR, _S.REJECTED, _S.REFUNDED, _S.CANCELLED}),
        _S.IN_REPAIR: frozenset({_S.READY_TO_SHIP, _S.REJECTED, _S.CANCELLED}),
        _S.READY_TO_SHIP: frozenset({_S.AWAITING_PAYMENT, _S.SHIPPED}),
        _S.AWAITING_PAYMENT: frozenset({_S.SHIPPED, _S.READY_TO_SHIP}),
        _S.SHIPPED: frozenset({_S.DELIVERED, _S.READY_TO_SHIP}),
        _S.DELIVERED: frozenset({_S.CLOSED}),
        # R-CORRECT: a refused receipt may be corrected to received until the unit has left.
        _S.REJECTED: frozenset({_S.AWAITING_PAYMENT, _S.SHIPPED, _S.CLOSED, _S.RECEIVED}),
        _S.CLOSED: frozenset(),
        _S.CANCELLED: frozenset(),
        _S.REFUNDED: frozenset(),
    }
)

_STAFF_CANCELLABLE = frozenset({_S.ISSUED, _S.INBOUND_IN_TRANSIT, _S.RECEIVED, _S.IN_REPAIR})
_STAFF_MOVES = {_S.RECEIVED: _S.IN_REPAIR, _S.IN_REPAIR: _S.READY_TO_SHIP, _S.DELIVERED: _S.CLOSED}
STAFF_TRANSITIONS: Mapping[RRStatus, frozenset[RRStatus]] = MappingProxyType(
    {
        status: frozenset(
            ({_STAFF_MOVES[status]} if status in _STAFF_MOVES else set())
            | ({_S.CANCELLED} if status in _STAFF_CANCELLABLE else set())
        )
        for status in RRStatus
    }
)

# R-CORRECT: a receipt decision can be corrected both ways while the unit is still on site
# (rejected → received drops an unbought return-to-sender draft; received → rejected drafts one).
RECEIPT_CORRECTIONS: Mapping[RRStatus, RRStatus] = MappingProxyType(
    {_S.REJECTED: _S.RECEIVED, _S.RECEIVED: _S.REJECTED}
)
# R-CANCEL-ONSITE: cancelling an RR whose unit is at the depot returns it to the sender
# (rejected + return-to-sender draft + customer email), never a bare cancel.
ON_SITE = frozenset({_S.RECEIVED, _S.IN_REPAIR})


def correction_target(status: RRStatus) -> RRStatus | None:
    """R-CORRECT: the status a receipt correction moves to, or None when none applies."""
    return RECEIPT_CORRECTIONS.get(status)


def cancel_target(status: RRStatus) -> RRStatus:
    """R-CANCEL-ONSITE: where a staff cancel goes — rejected when the unit is on site."""
    return _S.REJECTED if status in ON_SITE else _S.CANCELLED


# An RR holds its serial (P-SERIAL) until it is cancelled, closed or refunded.
open_statuses: frozenset[RRStatus] = frozenset(RRStatus) - {_S.CANCELLED, _S.CLOSED, _S.REFUNDED}
OPEN_STATUSES = open_statuses


RR_LIFECYCLE = Lifecycle("Repair Request", TRANSITIONS, RRStatus)
# The moves staff make through the status endpoint (the others follow receipts, labels, scans).
RR_STAFF_MOVES = Lifecycle("Repair Request", STAFF_TRANSITIONS, RRStatus)
can_transition = RR_LIFECYCLE.can
check_transition = RR_LIFECYCLE.check
check_staff_transition = RR_STAFF_MOVES.check


# RR numbers ---------------------------------------------------------------------------------

RR_NUMBER_RE = re.compile(r"^RR-[A-Z0-9]{6,12}$")
# No 0/O, 1/I/L: the number is read aloud on the phone and hand-written on cartons.
RR_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RR_RANDOM_LENGTH = 8


def _random_chars(n: int) -> str:
    """n characters from the unambiguous alphabet, cryptographically random."""
    return "".join(secrets.choice(RR_ALPHABET) for _ in range(n))


def new_rr_number(rand: Callable[[int], str] | None = None) -> str:
    """A fresh RR number: "RR-" + 8 unambiguous characters (rand(n) may be injected in tests)."""
    number = "RR-" + (rand or _random_chars)(RR_RANDOM_LENGTH)
    if not is_rr_number(number):
        raise RuleError(f"Generated {number!r} is not a valid RR number.", field="rr_number")
    return number


def is_rr_number(s: object) -> bool:
    """True for a well-formed RR number (exact, upper-case)."""
    return isinstance(s, str) and RR_NUMBER_RE.fullmatch(s) is not None


def normalize_rr_number(s: str) -> str:
    """Strip and upper-case user input ("rr-abc234xy " → "RR-ABC234XY") before lookup."""
    return s.strip().upper()


# Deadlines ----------------------------------------------------------------------------------


def _aware(value: datetime, name: str) -> datetime:
    """Refuse naive datetimes: every time in the core is timezone-aware."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise RuleError(f"{name} must be timezone-aware.", field=name)
    return value


def inbound_deadline(issued_at: datetime, days: int = 30) -> datetime:
    """P-30DAY: the moment an unshipped RR is cancelled (issued + days of elapsed time, UTC)."""
    # Aware arithmetic is wall-clock arithmetic in the operand's own zone, so an issue time written
    # in a zone with daylight saving would move the deadline by an hour: count in UTC.
    return _aware(issued_at, "issued_at").astimezone(UTC) + timedelta(days=days)


def auto_cancel_decision(
    *,
    status: RRStatus,
    issued_at: datetime,
    first_carrier_scan_at: datetime | None,
    received_at: datetime | None,
    now: datetime,
    days: int = 30,
) -> Decision | None:
    """P-30DAY: a cancel decision when an issued RR was neither scanned nor received in time."""
    if RR_LIFECYCLE.status(status) is not _S.ISSUED:
        return None
    deadline = inbound_deadline(issued_at, days)
    if _aware(now, "now") < deadline:
        return None
    # Only a hand-over to the carrier (or receipt) *before* the deadline saves the RR.
    for moment in (first_carrier_scan_at, received_at):
        if moment is not None and _aware(moment, "scan") < deadline:
            return None
    return Decision(
        "P-30DAY",
        f"The Repair Request was cancelled automatically: the unit was not handed to a carrier "
        f"or received within {days} days of issue (deadline {deadline.date().isoformat()}).",
        "inbound_window_expired",
    )


# Receipt inspection (P-MARK, P-INBOUND, P-SERIAL, P-REJECT, P-CREDIT) ----------------------


@dataclass(frozen=True)
class ReceiptInspection:
    rr_marked_on_carton: bool
    freight_collect: bool
    visible_damage: bool
    serial_number_seen: str | None
    third_party_equipment: bool
    out_of_warranty: bool = False
    original_packaging: bool | None = None
    # P-WARRANTY: the registry's (or staff's overriding) finding that the unit is not covered.
    warranty: Decision | None = None


@dataclass(frozen=True)
class ReceiptDecision:
    accepted: bool
    reasons: tuple[Decision, ...]
    damage: bool

    @property
    def target_status(self) -> RRStatus:
        """Where the RR goes: received when accepted, rejected (return to sender) otherwise."""
        return _S.RECEIVED if self.accepted else _S.REJECTED

    @property
    def codes(self) -> tuple[str, ...]:
        """The machine codes of every reason, in order."""
        return tuple(r.code for r in self.reasons)


def normalize_serial(serial: str | None) -> str:
    """Serial numbers compare stripped and upper-case ("" when missing)."""
    return (serial or "").strip().upper()


def _carton_reasons(inspection: ReceiptInspection, kind: str) -> list[Decision]:
    """Carton-level problems: marking, freight collect, visible damage."""
    out: list[Decision] = []
    if not inspection.rr_marked_on_carton:
        out.append(Decision("P-MARK", _R["unmarked"], "unmarked"))
    if inspection.freight_collect:
        out.append(Decision("P-INBOUND", _R["freight_collect"], "freight_collect"))
    if inspection.visible_damage:
        if kind == "credit_return":
            out.append(Decision("P-CREDIT", _R["damaged_credit"], "damaged"))
        else:
            out.append(Decision("P-REJECT", _R["damaged"], "damaged"))
    return out


def _unit_reasons(inspection: ReceiptInspection, expected_serial: str) -> list[Decision]:
    """Unit-level problems: serial, warranty, third-party equipment."""
    out: list[Decision] = []
    seen = normalize_serial(inspection.serial_number_seen)
    if not seen:
        out.append(Decision("P-SERIAL", _R["serial_missing"], "serial_missing"))
    elif seen != normalize_serial(expected_serial):
        out.append(Decision("P-SERIAL", _R["serial_mismatch"], "serial_mismatch"))
    if inspection.warranty is not None:
        out.append(inspection.warranty)
    elif inspection.out_of_warranty:
        out.append(Decision("P-REJECT", _R["out_of_warranty"], "out_of_warranty"))
    if inspection.third_party_equipment:
        out.append(Decision("P-REJECT", _R["third_party"], "third_party"))
    return out


def _credit_reasons(
    inspection: ReceiptInspection, now: datetime, received: datetime | None, days: int
) -> list[Decision]:
    """Credit-return conditions: original packaging and the window after the customer's receipt."""
    out: list[Decision] = []
    if inspection.original_packaging is False:
        out.append(Decision("P-CREDIT", _R["not_original_packaging"], "not_original_packaging"))
    if received is not None and now > _aware(received, "customer_received_at") + timedelta(days):
        reason = _R["credit_window_expired"].format(days=days)
        out.append(Decision("P-CREDIT", reason, "credit_window_expired"))
    return out


def decide_receipt(
    inspection: ReceiptInspection,
    *,
    expected_serial: str,
    kind: Literal["repair", "credit_return"],
    now: datetime,
    customer_received_at: datetime | None = None,
    credit_days: int = 30,
) -> ReceiptDecision:
    """Accept a received unit or reject it, listing every rule that applies."""
    _aware(now, "now")
    reasons = _carton_reasons(inspection, kind) + _unit_reasons(inspection, expected_serial)
    if kind == "credit_return":
        reasons += _credit_reasons(inspection, now, customer_received_at, credit_days)
    return ReceiptDecision(not reasons, tuple(reasons), inspection.visible_damage)


_R = {
    "unmarked": "The carton did not show the Repair Request number on the outside, "
    "so it is returned to the sender.",
    "freight_collect": "The package arrived COD or freight collect; inbound freight must be "
    "prepaid by the sender, so it is refused.",
    "damaged": "The unit arrived damaged, so it is returned to the sender; "
    "the sender may file a claim with its carrier.",
    "damaged_credit": "Damaged returns for credit go back to the sender; no refund is made.",
    "serial_missing": "The unit has no valid serial number, so it is out of warranty "
    "and returned to the sender.",
    "serial_mismatch": "The serial number on the unit does not match the Repair Request, "
    "so it is returned to the sender.",
    "out_of_warranty": "The unit is out of warranty, so it is returned to the sender.",
    "third_party": "The unit was not made by the vendor; it is returned to the sender and "
    "must go to its original manufacturer for repair.",
    "not_original_packaging": "Returns for credit must come in the original packaging; "
    "this one did not, so it is returned to the sender.",
    "credit_window_expired": "Returns for credit must arrive within {days} days of your receipt "
    "of the product; this one is too late, so it is returned to the sender.",
}


# Credit refunds (P-CREDIT) ------------------------------------------------------------------


def credit_refund(price: Money, fee_rate: Decimal = Decimal("0.20")) -> tuple[Money, Money]:
    """P-CREDIT: (refund, restocking fee); the fee rounds half-up and the two add up to price."""
    if price.amount < 0:
        raise RuleError(
            "The price of a credit return cannot be negative.", rule="P-CREDIT", field="price"
        )
    if not Decimal(0) <= fee_rate <= Decimal(1):
        raise RuleError("The restocking fee rate must be between 0 and 1.", field="fee_rate")
    total = price.quantize()
    fee = (total * fee_rate).quantize()
    return total - fee, fee


def credit_window_start(
    customer_received_at: datetime | None, purchase_date: date | None
) -> datetime | None:
    """P-CREDIT: the 30 days run from the customer's receipt of the product, else from the end
    of the web order's purchase day (it cannot have arrived before it was bought)."""
    if customer_received_at is not None:
        return customer_received_at
    if purchase_date is None:
        return None
    return datetime.combine(purchase_date + timedelta(days=1), time.min, UTC)


def credit_return_problems(
    *,
    document_type: str,
    has_price: bool,
    payment_reference: str | None,
    customer_received_at: datetime | None,
    purchase_date: object | None,
) -> list[tuple[str, str]]:
    """P-CREDIT: a return for credit is taken only for a purchase from the vendor's web store,
    with the price paid and the payment to refund; (field, message) for what is missing."""
    out: list[tuple[str, str]] = []
    if document_type != "web_order":
        message = (
            "returns for credit are only for purchases from this web store: "
            "give the web order (document_type 'web_order')"
        )
        out.append(("proof_of_purchase.document_type", message))
    if not has_price:
        out.append(("proof_of_purchase.price", "a return for credit needs the price paid"))
    if not payment_reference:
        message = "a return for credit needs the web store's payment reference to refund"
        out.append(("proof_of_purchase.payment_reference", message))
    if customer_received_at is None and purchase_date is None:
        message = "give the date you received the product (the 30-day window counts from it)"
        out.append(("customer_received_at", message))
    return out
