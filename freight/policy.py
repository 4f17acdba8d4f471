"""Build the pure policy objects from Settings (once per Settings instance)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from functools import lru_cache

from freight.calendar.rules import BusinessCalendar
from freight.settings import Settings
from freight.terms.rules import TermsPolicy


@lru_cache(maxsize=8)
def _terms(na: tuple[str, ...], restricted: tuple[str, ...]) -> TermsPolicy:
    return TermsPolicy(north_america=frozenset(na), export_restricted=frozenset(restricted))


def terms_policy(settings: Settings) -> TermsPolicy:
    """The reviewed North-America and export lists as a TermsPolicy."""
    return _terms(tuple(settings.north_america), tuple(settings.export_restricted))


@dataclass(frozen=True)
class _CalendarKey:
    timezone: str
    opens: time
    closes: time
    weekdays: tuple[int, ...]
    country: str
    subdivision: str | None
    closures: tuple[date, ...]


@lru_cache(maxsize=8)
def _calendar(key: _CalendarKey) -> BusinessCalendar:
    return BusinessCalendar(
        timezone=key.timezone,
        open=key.opens,
        close=key.closes,
        weekdays=frozenset(key.weekdays),
        holiday_country=key.country,
        holiday_subdivision=key.subdivision,
        extra_closures=frozenset(key.closures),
    )


def business_calendar(settings: Settings) -> BusinessCalendar:
    """The company calendar (P-SLA, P-HOURS) from settings."""
    return _calendar(
        _CalendarKey(
            settings.timezone,
            settings.business_open,
            settings.business_close,
            tuple(settings.business_weekdays),
            settings.holiday_country,
            settings.holiday_subdivision,
            tuple(settings.extra_closures),
        )
    )
