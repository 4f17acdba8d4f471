"""The company calendar: working days, repair due dates, business hours (P-SLA, P-HOURS). Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from freight.rules import RuleError

# A calendar with no working day for this long is misconfigured; stop instead of looping forever.
_MAX_CLOSED_RUN = 3660


@lru_cache(maxsize=256)
def _holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """Public holidays (observed days included) in one year; cached per (country, subdiv, year)."""
    # Ask for neighbouring years too: an observed day can land in the previous year
    # (New Year 2028 falls on a Saturday and is observed Friday 2027-12-31).
    table = holidays.country_holidays(country, subdiv=subdivision, years=(year - 1, year, year + 1))
    return frozenset(d for d in table if d.year == year)


def _require_aware(value: datetime, name: str) -> None:
    """Naive datetimes are ambiguous across time zones; refuse them."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise RuleError(f"{name} must be timezone-aware.", field=name)


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str
    open: time
    close: time
    weekdays: frozenset[int]
    holiday_country: str = "US"
    holiday_subdivision: str | None = None
    extra_closures: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise RuleError(f"Unknown time zone {self.timezone!r}.", field="timezone") from exc
        if self.open.tzinfo is not None or self.close.tzinfo is not None:
            # Hours are wall-clock times in `timezone`; a second zone would be ambiguous.
            raise RuleError("open and close must be naive wall-clock times.", field="open")
        if not self.open < self.close:
            raise RuleError("Business hours must open before they close.", field="open")
        if not self.weekdays or not self.weekdays <= frozenset(range(7)):
            raise RuleError(
                "weekdays must be a non-empty set of 0 (Mon) … 6 (Sun).", field="weekdays"
            )
        try:
            holidays.country_holidays(self.holiday_country, subdiv=self.holiday_subdivision)
        except NotImplementedError as exc:
            raise RuleError(
                f"No holiday calendar for {self.holiday_country!r}/{self.holiday_subdivision!r}.",
                field="holiday_country",
            ) from exc

    @property
    def tz(self) -> ZoneInfo:
        """The company time zone."""
        return ZoneInfo(self.timezone)

    def is_holiday(self, d: date) -> bool:
        """True on a public holiday (or its observed day) or a configured closure."""
        if d in self.extra_closures:
            return True
        return d in _holidays(self.holiday_country, self.holiday_subdivision, d.year)

    def is_working_day(self, d: date) -> bool:
        """A configured weekday that is neither a holiday nor an extra closure."""
        return d.weekday() in self.weekdays and not self.is_holiday(d)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after d."""
        for step in range(1, _MAX_CLOSED_RUN):
            candidate = d + timedelta(days=step)
            if self.is_working_day(candidate):
                return candidate
        raise RuleError("The company calendar has no working day in ten years.", field="calendar")

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after start (start itself is not counted; n=0 gives start)."""
        if n < 0:
            raise RuleError("n must not be negative.", field="n")
        current = start
        for _ in range(n):
            current = self.next_working_day(current)
        return current

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b]; negative when b is before a (e.g. days overdue)."""
        if b < a:
            return -self.working_days_between(b, a)
        return sum(1 for i in range(1, (b - a).days + 1) if self.is_working_day(a + timedelta(i)))

    def local_date(self, moment: datetime) -> date:
        """The calendar date of an aware datetime in the company time zone."""
        _require_aware(moment, "moment")
        return moment.astimezone(self.tz).date()

    def repair_due(self, received_at: datetime, working_days: int = 21) -> date:
        """P-SLA: the date a repair is due, counted from the receipt date in company time."""
        _require_aware(received_at, "received_at")
        return self.add_working_days(self.local_date(received_at), working_days)

    def _at(self, d: date, t: time) -> datetime:
        """Wall-clock time d t in the company zone, normalised if it falls in a DST gap."""
        # A round trip through UTC turns a non-existent local time (spring-forward) into a real one.
        return datetime.combine(d, t, tzinfo=self.tz).astimezone(UTC).astimezone(self.tz)

    def _hours(self, d: date) -> tuple[datetime, datetime]:
        """The opening and closing instants on day d (in UTC, so a repeated hour compares right)."""
        return self._at(d, self.open).astimezone(UTC), self._at(d, self.close).astimezone(UTC)

    def is_business_hours(self, now: datetime) -> bool:
        """True when now falls inside opening hours on a working day (close is exclusive)."""
        _require_aware(now, "now")
        day = now.astimezone(self.tz).date()
        if not self.is_working_day(day):
            return False
        # Instants, not wall-clock times: on the night clocks change an opening time that does
        # not exist (or comes twice) must agree with the slot next_business_slot gives.
        opens, closes = self._hours(day)
        return opens <= now.astimezone(UTC) < closes

    def next_business_slot(self, now: datetime) -> datetime:
        """P-HOURS: now (in company time) if inside business hours, else the next opening."""
        _require_aware(now, "now")
        local = now.astimezone(self.tz)
        moment, day = local.astimezone(UTC), local.date()
        if not self.is_working_day(day):
            day = self.next_working_day(day)
        for _ in range(_MAX_CLOSED_RUN):
            opens, closes = self._hours(day)
            # A day whose hours fall in the skipped hour of a clock change has none: go on.
            if moment < closes and opens < closes:
                return local if opens <= moment else opens.astimezone(self.tz)
            day = self.next_working_day(day)
        raise RuleError(
            "The company calendar has no business hours in ten years.", field="calendar"
        )


def working_days_between(calendar: BusinessCalendar, a: date, b: date) -> int:
    """Working days in (a, b] on a calendar; negative when b is before a."""
    return calendar.working_days_between(a, b)
