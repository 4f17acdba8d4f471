"""SPEC §10 bounds, pure (stdlib only): money and dates every endpoint and import keeps."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

# Money on the wire (SPEC §10): at most 10^9, at most 4 decimals.
MONEY_MAX = 10**9
MONEY_PLACES = 4
# Row ids are 32-bit columns: a position past the largest id means "from the newest".
ROW_ID_MAX = 2**31 - 1
# Dates and times (SPEC §10).
YEAR_MIN, YEAR_MAX = 1900, 2200


def check_amount(value: Decimal) -> Decimal:
    """A finite amount of at most 10^9 (either sign) with at most 4 decimals, or ValueError."""
    if not value.is_finite():
        raise ValueError("must be a finite number")
    if abs(value) > MONEY_MAX:
        raise ValueError(f"must be at most {MONEY_MAX:,}")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MONEY_PLACES:
        raise ValueError(f"must have at most {MONEY_PLACES} decimal places")
    return value


def check_year(value: date) -> date:
    """A date or date-time between 1900 and 2200, or ValueError."""
    if not YEAR_MIN <= value.year <= YEAR_MAX:
        raise ValueError(f"must be between {YEAR_MIN} and {YEAR_MAX}")
    return value
