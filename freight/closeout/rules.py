"""End-of-day rules at the shipping desk (issue 17 §3). Pure.

- M-DATE: a manifest closes out a day that has begun (today or earlier, company time), never a
  future one.
- M-EMPTY: a manifest needs at least one label of that carrier and day not yet in a manifest; a
  label bought after a manifest goes into the next one.
- P-HOURS: a pickup window lies inside business hours of one working day, starts before it
  ends and not in the past.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from freight.calendar.rules import BusinessCalendar
from freight.rules import RuleError


def check_ship_date(ship_date: date, *, today: date) -> None:
    """M-DATE: no manifest for a future day."""
    if ship_date > today:
        raise RuleError(
            f"ship_date {ship_date.isoformat()} is in the future (today is {today.isoformat()}); "
            "a manifest closes out a day that has begun.",
            rule="M-DATE",
            field="ship_date",
        )


def check_has_labels(count: int, *, carrier: str, ship_date: date) -> None:
    """M-EMPTY: nothing to close out is refused, not sent to the carrier."""
    if count <= 0:
        raise RuleError(
            f"No {carrier} labels of {ship_date.isoformat()} are waiting for a manifest.",
            rule="M-EMPTY",
            field="carrier",
        )


def day_bounds(calendar: BusinessCalendar, day: date) -> tuple[datetime, datetime]:
    """[start, end) of a company-time day, in UTC."""
    start = datetime.combine(day, time(0), tzinfo=calendar.tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=calendar.tz).astimezone(UTC)
    return start, end


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    day: date


def check_pickup_window(
    calendar: BusinessCalendar, *, start: datetime, end: datetime, now: datetime
) -> Window:
    """P-HOURS: the window inside one working day's business hours, start < end, not past."""
    if start.tzinfo is None or end.tzinfo is None:
        field = "requested_start_time" if start.tzinfo is None else "requested_end_time"
        raise RuleError("a pickup time needs a time zone offset", rule="P-HOURS", field=field)
    if end <= start:
        raise RuleError(
            "the pickup window must end after it starts", rule="P-HOURS",
            field="requested_end_time",
        )  # fmt: skip
    if start < now:
        raise RuleError(
            "the pickup window starts in the past", rule="P-HOURS", field="requested_start_time"
        )
    day = calendar.local_date(start)
    if not calendar.is_business_hours(start):
        raise RuleError(
            f"the pickup must start inside business hours ({_hours(calendar)} on working days)",
            rule="P-HOURS",
            field="requested_start_time",
        )
    last = end - timedelta(microseconds=1)  # closing time is exclusive
    if calendar.local_date(last) != day or not calendar.is_business_hours(last):
        raise RuleError(
            f"the pickup must end by closing time ({_hours(calendar)}) the same day",
            rule="P-HOURS",
            field="requested_end_time",
        )
    return Window(start.astimezone(UTC), end.astimezone(UTC), day)


def _hours(calendar: BusinessCalendar) -> str:
    opens, closes = calendar.open.strftime("%H:%M"), calendar.close.strftime("%H:%M")
    return f"{opens}–{closes} {calendar.timezone}"
