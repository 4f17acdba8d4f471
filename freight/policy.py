"""Build the pure policy objects from Settings (once per Settings instance)."""

from __future__ import annotations

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


@lru_cache(maxsize=8)
def _calendar(key: tuple[object, ...]) -> BusinessCalendar:
    tz, opens, closes, days, country, subdiv, closures = key
    return BusinessCalendar(
        timezone=str(tz),
        open=opens,  # type: ignore[arg-type]
        close=closes,  # type: ignore[arg-type]
        weekdays=frozenset(days),  # type: ignore[arg-type]
        holiday_country=str(country),
        holiday_subdivision=subdiv,  # type: ignore[arg-type]
        extra_closures=frozenset(closures),  # type: ignore[arg-type]
    )


def business_calendar(settings: Settings) -> BusinessCalendar:
    """The company calendar (P-SLA, P-HOURS) from settings."""
    return _calendar(
        (
            settings.timezone,
            settings.business_open,
            settings.business_close,
            tuple(settings.business_weekdays),
            settings.holiday_country,
            settings.holiday_subdivision,
            tuple(settings.extra_closures),
        )
    )
