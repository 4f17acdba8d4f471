"""Advance replacement (P-REPLACE with a saved card): who may have one, what it costs, and when
the card is released or charged. Pure.

- ADV-ELIGIBLE: a repair RR still waiting for its defective unit (`AWAITING_UNIT`: issued or
  inbound_in_transit) and not out of warranty may have its replacement shipped first.
- ADV-PRICE: the replacement's list price by part number (`FREIGHT_REPLACEMENT_PRICES`, e.g.
  `{"ALT-GW-400": "249.00 USD"}`); a part without a price cannot be offered.
- ADV-RELEASE: a carrier scan of the defective unit's return shipment, or its receipt at the
  depot, at or before the due time releases the card; the charge is never made then.
- ADV-REMIND: on day `FREIGHT_ADVANCE_REMINDER_DAY` (default 21) after the card was saved the
  customer is reminded, once, if the unit has not been scanned.
- ADV-CHARGE: `FREIGHT_ADVANCE_RETURN_DAYS` (default 30) after the card was saved, with no scan
  or receipt by then, the price is charged once (idempotency key `advance-charge:<RR>`).
- ADV-HOLD: while the card is saved (the replacement may have shipped) P-30DAY never
  auto-cancels the RR: the unit is expected back within `FREIGHT_ADVANCE_RETURN_DAYS` instead,
  and ADV-CHARGE settles a unit that never comes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal

from freight.money import Money, MoneyError
from freight.repairs.rules import AWAITING_UNIT
from freight.rules import Decision, RuleError

ELIGIBLE = "ADV-ELIGIBLE"
PRICE = "ADV-PRICE"
RELEASE = "ADV-RELEASE"
REMIND = "ADV-REMIND"
CHARGE = "ADV-CHARGE"
HOLD = "ADV-HOLD"
MAX_PRICE = Decimal(10) ** 9

# card_requested: offered, the customer has not saved a card yet; card_saved: the clock runs;
# released / charged / charge_failed: settled (charge_failed: declined, staff follow up).
State = Literal["card_requested", "card_saved", "released", "charged", "charge_failed"]
OPEN_STATES: frozenset[str] = frozenset({"card_requested", "card_saved"})
Step = Literal["wait", "release", "remind", "charge"]

_PRICE = re.compile(r"^\s*(\d{1,10}(?:\.\d{1,4})?)\s+([A-Za-z]{3})\s*$")


def charge_key(rr_number: str) -> str:
    """The processor's idempotency key of the one charge an RR can have."""
    return f"advance-charge:{rr_number}"


def parse_price(text: str) -> Money:
    """ "249.00 USD" → Money (positive, ≤ 10^9, ≤ 4 decimals, ISO 4217 code)."""
    match = _PRICE.match(text)
    if not match:
        raise RuleError(
            f"{text!r} is not a price like '249.00 USD'.", rule=PRICE, field="replacement_prices"
        )
    try:
        money = Money(Decimal(match.group(1)), match.group(2).upper())
    except (InvalidOperation, MoneyError) as exc:
        raise RuleError(str(exc), rule=PRICE, field="replacement_prices") from exc
    if not 0 < money.amount <= MAX_PRICE:
        raise RuleError(
            f"{text!r}: a price is more than 0 and at most 10^9.",
            rule=PRICE, field="replacement_prices",
        )  # fmt: skip
    return money


def parse_prices(raw: Mapping[str, str]) -> dict[str, Money]:
    """The whole price table, part numbers upper-cased; the first bad entry is refused."""
    return {part.strip().upper(): parse_price(str(text)) for part, text in raw.items()}


def price_for(part_number: str, prices: Mapping[str, str]) -> tuple[Money, Decision]:
    """ADV-PRICE: the list price of the replacement's part number."""
    table = parse_prices(prices)
    key = part_number.strip().upper()
    if key not in table:
        raise RuleError(
            f"Part number {key or '(empty)'} has no replacement price "
            "(FREIGHT_REPLACEMENT_PRICES); an advance replacement cannot be offered for it.",
            rule=PRICE, field="part_number",
        )  # fmt: skip
    price = table[key].quantize()
    return price, Decision(
        PRICE, f"If the defective unit does not come back in time, {price.amount} "
        f"{price.currency} (the list price of {key}) is charged to the saved card.",
    )  # fmt: skip


def check_eligible(*, kind: str, status: str, warranty_status: str | None) -> Decision:
    """ADV-ELIGIBLE: a repair RR awaiting its unit, not out of warranty."""
    if kind != "repair":
        raise RuleError(
            "A return for credit is refunded, not replaced in advance.", rule=ELIGIBLE,
            field="kind",
        )  # fmt: skip
    if status not in AWAITING_UNIT:
        raise RuleError(
            f"The Repair Request is '{status}'; an advance replacement is shipped only while "
            "the defective unit is still to come (issued or inbound_in_transit).",
            rule=ELIGIBLE, field="status",
        )  # fmt: skip
    if warranty_status == "out_of_warranty":
        raise RuleError(
            "The unit is out of warranty (P-WARRANTY); it is not replaced in advance.",
            rule=ELIGIBLE, field="serial_number",
        )  # fmt: skip
    return Decision(
        ELIGIBLE, "The replacement may ship before the defective unit arrives (P-REPLACE)."
    )


@dataclass(frozen=True)
class Timeline:
    """When the reminder goes out and when the card is charged, from the card being saved."""

    card_saved_at: datetime
    remind_at: datetime | None  # None when the reminder day is not before the due day
    due_at: datetime


def timeline(card_saved_at: datetime, *, return_days: int, reminder_day: int) -> Timeline:
    """ADV-REMIND / ADV-CHARGE: day N counts from the moment the card was saved."""
    if card_saved_at.tzinfo is None:
        raise ValueError("card_saved_at must be timezone-aware")
    if return_days < 1:
        raise RuleError("The return window is at least one day.", rule=CHARGE,
                        field="advance_return_days")  # fmt: skip
    due = card_saved_at + timedelta(days=return_days)
    remind = card_saved_at + timedelta(days=reminder_day)
    return Timeline(card_saved_at, remind if 0 < reminder_day < return_days else None, due)


def returned_in_time(
    due_at: datetime | None, *, first_scan_at: datetime | None, received_at: datetime | None
) -> Decision | None:
    """ADV-RELEASE: the defective unit was handed to a carrier or received by the due time (any
    time, while no card is saved yet: there is no window to miss)."""
    seen = [t for t in (first_scan_at, received_at) if t is not None]
    if not seen:
        return None
    first = min(seen)
    if due_at is not None and first > due_at:
        return None
    how = "received at the depot" if first == received_at else "handed to the carrier"
    return Decision(RELEASE, f"The defective unit was {how} in time; the card is released.")


def next_step(
    *,
    state: str,
    now: datetime,
    plan: Timeline | None,
    reminded: bool,
    first_scan_at: datetime | None,
    received_at: datetime | None,
) -> Step:
    """What the hourly sweep does with one advance replacement now."""
    if state not in OPEN_STATES:
        return "wait"
    due = plan.due_at if plan is not None else None
    if returned_in_time(due, first_scan_at=first_scan_at, received_at=received_at) is not None:
        return "release"
    if state != "card_saved" or plan is None:
        return "wait"
    if now >= plan.due_at:
        return "charge"
    if plan.remind_at is not None and now >= plan.remind_at and not reminded:
        return "remind"
    return "wait"


def holds_auto_cancel(state: str | None) -> bool:
    """ADV-HOLD: an advance replacement with a saved card keeps P-30DAY from cancelling its RR."""
    return state == "card_saved"
