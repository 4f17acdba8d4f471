"""Shared Hypothesis strategies for the pure core: money in minor units, aware times, countries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pycountry
from hypothesis import strategies as st

from freight.money import Money, minor_units

# Currencies with 0, 2 and 3 minor units (ISO 4217), plus a few common 2-digit ones.
CURRENCIES = ("USD", "EUR", "GBP", "CAD", "JPY", "KRW", "KWD", "BHD", "TND")
# SPEC §10: money ≤ 10^9; dates 1900–2200.
MAX_AMOUNT = 10**9
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2200, 12, 31)

currencies = st.sampled_from(CURRENCIES)


@st.composite
def money(draw: st.DrawFn, currency: str | None = None, *, max_amount: int = MAX_AMOUNT) -> Money:
    """A non-negative amount already in the currency's minor units (how the service stores it)."""
    cur = currency or draw(currencies)
    places = minor_units(cur)
    minor = draw(st.integers(min_value=0, max_value=max_amount * 10**places))
    return Money(Decimal(minor).scaleb(-places), cur)


def amounts(
    currency: str, *, signed: bool = False, max_amount: int = 10**6, places: int | None = None
) -> st.SearchStrategy[Decimal]:
    """Decimals in the currency's minor units, or `places` digits (negative too when `signed`)."""
    places = minor_units(currency) if places is None else places
    top = max_amount * 10**places
    return st.integers(min_value=-top if signed else 0, max_value=top).map(
        lambda minor: Decimal(minor).scaleb(-places)
    )


# Offsets seen on real carrier and client timestamps: UTC−12 … UTC+14, in quarter hours.
offsets = st.integers(min_value=-12 * 4, max_value=14 * 4).map(
    lambda q: timezone(timedelta(minutes=15 * q))
)


# Zones with daylight saving (also half-hour and 30-minute DST shifts) and without.
IANA_ZONES = tuple(
    ZoneInfo(z)
    for z in ("America/Los_Angeles", "America/St_Johns", "Europe/Berlin", "Australia/Lord_Howe",
              "Pacific/Auckland", "Asia/Kolkata")
)  # fmt: skip


def aware_datetimes(
    min_value: datetime = datetime(1990, 1, 1), max_value: datetime = datetime(2150, 1, 1)
) -> st.SearchStrategy[datetime]:
    """Timezone-aware datetimes: UTC, fixed offsets and zones with daylight saving."""
    zones = st.just(UTC) | offsets | st.sampled_from(IANA_ZONES)
    # No wall-clock times inside a spring-forward gap: no clock or carrier ever reports one.
    return st.datetimes(
        min_value=min_value, max_value=max_value, timezones=zones, allow_imaginary=False
    )


def utc(moment: datetime) -> datetime:
    """The same instant in UTC (== between zones is False for times in a DST fold, PEP 495)."""
    return moment.astimezone(UTC)


ALPHA2 = tuple(sorted(str(c.alpha_2) for c in pycountry.countries))
alpha2_codes = st.sampled_from(ALPHA2)


@st.composite
def spelled(draw: st.DrawFn, text: str) -> str:
    """The same text as a person might type it: any letter case, spaces or tabs around it."""
    cased = "".join(c.upper() if draw(st.booleans()) else c.lower() for c in text)
    pad = st.text(alphabet=" \t\n\r\u00a0", max_size=3)
    return draw(pad) + cased + draw(pad)
