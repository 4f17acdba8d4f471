"""Quote policy (P-QUOTE): validity, the re-check at purchase, what to capture. Pure."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from freight.money import Money

OPEN = "open"
ACCEPTED = "accepted"
EXPIRED = "expired"
SUPERSEDED = "superseded"
DECLINED = "declined"


def expires_at(now: datetime, validity_days: int) -> datetime:
    """A quote is valid for `validity_days` (default 7) from when it is made."""
    return now + timedelta(days=validity_days)


def is_expired(expiry: datetime, now: datetime) -> bool:
    """True once the expiry time has passed."""
    return expiry <= now


def within_tolerance(quoted: Money, current: Money, tolerance: Decimal) -> bool:
    """P-QUOTE re-check: the price at purchase may exceed the quote by at most `tolerance`."""
    if current.currency != quoted.currency:
        return False
    return current.amount <= quoted.amount * (Decimal(1) + tolerance)


def capture_amount(label_cost: Money, authorized: Money) -> Money:
    """Capture what the label cost, never more than the hold (SPEC §6)."""
    if label_cost.currency != authorized.currency:
        return authorized
    return label_cost if label_cost.amount <= authorized.amount else authorized
