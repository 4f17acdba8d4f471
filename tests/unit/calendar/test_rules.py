"""Company calendar: holidays, working days, repair due dates, business hours, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from freight.calendar.rules import BusinessCalendar, working_days_between
from freight.rules import RuleError

LA = ZoneInfo("America/Los_Angeles")
WEEKDAYS = frozenset(range(5))
CAL = BusinessCalendar("America/Los_Angeles", time(8), time(17), WEEKDAYS)


def la(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """An aware wall-clock time in Los Angeles."""
    return datetime(year, month, day, hour, minute, tzinfo=LA)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 26), False),  # Thanksgiving
        (date(2026, 11, 27), True),  # not a federal holiday
        (date(2026, 12, 24), True),
        (date(2026, 12, 25), False),  # Christmas (Friday)
        (date(2027, 1, 1), False),  # New Year (Friday)
        (date(2026, 7, 3), False),  # July 4 2026 is a Saturday: observed Friday
        (date(2026, 7, 4), False),
        (date(2026, 7, 6), True),
        (date(2027, 12, 24), False),  # Christmas 2027 on Saturday: observed Friday
        (date(2027, 12, 31), False),  # New Year 2028 on Saturday: observed Friday 2027-12-31
        (date(2027, 7, 5), False),  # July 4 2027 on Sunday: observed Monday
        (date(2026, 1, 19), False),  # MLK day
        (date(2026, 3, 7), False),  # Saturday
        (date(2026, 3, 8), False),  # Sunday (DST starts)
        (date(2026, 3, 9), True),
        (date(2026, 3, 31), True),  # Cesar Chavez Day is a California holiday, not federal
        (date(2026, 11, 11), False),  # Veterans Day
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


def test_extra_closure_and_subdivision_are_honoured() -> None:
    cal = BusinessCalendar(
        "America/Los_Angeles",
        time(8),
        time(17),
        WEEKDAYS,
        holiday_subdivision="CA",
        extra_closures=frozenset({date(2026, 12, 24)}),
    )
    assert cal.is_working_day(date(2026, 12, 24)) is False
    assert cal.is_working_day(date(2026, 3, 31)) is False  # Cesar Chavez Day in California
    assert cal.add_working_days(date(2026, 12, 23), 1) == date(2026, 12, 28)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 11, 25), 1, date(2026, 11, 27)),  # skips Thanksgiving
        (date(2026, 7, 2), 1, date(2026, 7, 6)),  # skips observed July 4 and the weekend
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # year end, New Year on Friday
        (date(2027, 12, 30), 1, date(2028, 1, 3)),  # observed New Year in the old year
        (date(2026, 3, 7), 1, date(2026, 3, 9)),  # Saturday start
        (date(2026, 11, 2), 0, date(2026, 11, 2)),
        (date(2026, 11, 2), 5, date(2026, 11, 9)),
        (date(2026, 11, 2), 21, date(2026, 12, 3)),
    ],
)
def test_add_working_days(start: date, n: int, expected: date) -> None:
    assert CAL.add_working_days(start, n) == expected


def test_add_working_days_refuses_negative() -> None:
    with pytest.raises(RuleError):
        CAL.add_working_days(date(2026, 11, 2), -1)


@pytest.mark.parametrize(
    ("received_at", "due"),
    [
        # Nov 2026: Veterans Day and Thanksgiving are skipped.
        (la(2026, 11, 2, 10, 0), date(2026, 12, 3)),
        # 05:00 UTC on Nov 3 is still Nov 2 in Los Angeles.
        (datetime(2026, 11, 3, 5, 0, tzinfo=UTC), date(2026, 12, 3)),
        (datetime(2026, 11, 3, 8, 0, tzinfo=UTC), date(2026, 12, 4)),
        # Across the year end: Christmas, New Year, then MLK day just after the due date.
        (la(2026, 12, 15, 9, 0), date(2027, 1, 15)),
        # Received on a Saturday: counting starts Monday.
        (la(2026, 3, 7, 11, 0), date(2026, 4, 6)),
    ],
)
def test_repair_due_is_21_working_days_after_receipt(received_at: datetime, due: date) -> None:
    assert CAL.repair_due(received_at) == due


def test_repair_due_with_custom_sla() -> None:
    assert CAL.repair_due(la(2026, 11, 25, 9, 0), working_days=2) == date(2026, 11, 30)


@pytest.mark.parametrize(
    ("now", "slot"),
    [
        (la(2026, 11, 2, 10, 0), la(2026, 11, 2, 10, 0)),  # inside hours: now
        (la(2026, 11, 2, 8, 0), la(2026, 11, 2, 8, 0)),  # opening is inclusive
        (la(2026, 11, 2, 7, 59), la(2026, 11, 2, 8, 0)),
        (la(2026, 11, 2, 17, 0), la(2026, 11, 3, 8, 0)),  # closing is exclusive
        (la(2026, 11, 27, 18, 0), la(2026, 11, 30, 8, 0)),  # Friday evening
        (la(2026, 11, 25, 17, 30), la(2026, 11, 27, 8, 0)),  # Thanksgiving skipped
        (la(2026, 7, 2, 17, 0), la(2026, 7, 6, 8, 0)),  # observed July 4
        (la(2027, 12, 30, 17, 0), la(2028, 1, 3, 8, 0)),  # year end
        (la(2026, 12, 31, 12, 0), la(2026, 12, 31, 12, 0)),
        (datetime(2026, 11, 2, 18, 0, tzinfo=UTC), la(2026, 11, 2, 10, 0)),  # UTC in hours
        (datetime(2026, 11, 3, 2, 0, tzinfo=UTC), la(2026, 11, 3, 8, 0)),  # 18:00 PST
    ],
)
def test_next_business_slot(now: datetime, slot: datetime) -> None:
    result = CAL.next_business_slot(now)
    assert result == slot
    assert result.tzinfo == LA
    assert (result.hour, result.minute) == (slot.hour, slot.minute)


@pytest.mark.parametrize(
    ("now", "slot_utc", "offset_hours"),
    [
        # Spring forward 2026-03-08: Saturday noon PST → Monday 08:00 PDT (UTC-7).
        (datetime(2026, 3, 7, 20, 0, tzinfo=UTC), datetime(2026, 3, 9, 15, 0, tzinfo=UTC), -7),
        # Sunday 01:30 PST, half an hour before the switch.
        (datetime(2026, 3, 8, 9, 30, tzinfo=UTC), datetime(2026, 3, 9, 15, 0, tzinfo=UTC), -7),
        # Fall back 2026-11-01: Friday evening PDT → Monday 08:00 PST (UTC-8).
        (datetime(2026, 10, 31, 1, 0, tzinfo=UTC), datetime(2026, 11, 2, 16, 0, tzinfo=UTC), -8),
        # Sunday 01:30 in the repeated hour.
        (datetime(2026, 11, 1, 9, 30, tzinfo=UTC), datetime(2026, 11, 2, 16, 0, tzinfo=UTC), -8),
    ],
)
def test_next_business_slot_across_dst(
    now: datetime, slot_utc: datetime, offset_hours: int
) -> None:
    result = CAL.next_business_slot(now)
    assert result == slot_utc
    assert (result.hour, result.minute) == (8, 0)
    assert result.utcoffset() == timedelta(hours=offset_hours)


def test_opening_inside_a_dst_gap_becomes_a_real_time() -> None:
    cal = BusinessCalendar("America/Los_Angeles", time(2, 30), time(17), frozenset(range(7)))
    slot = cal.next_business_slot(la(2026, 3, 8, 1, 0))
    # 02:30 does not exist on 2026-03-08; the same instant is 03:30 PDT.
    assert slot == datetime(2026, 3, 8, 10, 30, tzinfo=UTC)
    assert (slot.hour, slot.minute) == (3, 30)


@pytest.mark.parametrize(
    ("now", "inside"),
    [(la(2026, 11, 2, 8, 0), True), (la(2026, 11, 2, 16, 59), True),
     (la(2026, 11, 2, 17, 0), False), (la(2026, 11, 26, 10, 0), False),
     (la(2026, 11, 28, 10, 0), False)],
)  # fmt: skip
def test_is_business_hours(now: datetime, inside: bool) -> None:
    assert CAL.is_business_hours(now) is inside


@pytest.mark.parametrize(
    ("a", "b", "count"),
    [
        (date(2026, 11, 25), date(2026, 11, 30), 2),  # 27th and 30th
        (date(2026, 11, 30), date(2026, 11, 25), -2),
        (date(2026, 11, 2), date(2026, 11, 2), 0),
        (date(2026, 11, 2), date(2026, 12, 3), 21),
        (date(2026, 12, 24), date(2027, 1, 4), 5),  # Dec 28-31 and Jan 4
    ],
)
def test_working_days_between(a: date, b: date, count: int) -> None:
    assert working_days_between(CAL, a, b) == count
    assert CAL.working_days_between(a, b) == count


def test_working_days_between_inverts_add_working_days() -> None:
    start = date(2026, 11, 20)
    for n in range(40):
        assert CAL.working_days_between(start, CAL.add_working_days(start, n)) == n


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"open": time(17), "close": time(8)}, "open"),
        ({"open": time(8, tzinfo=UTC)}, "open"),
        ({"weekdays": frozenset()}, "weekdays"),
        ({"weekdays": frozenset({7})}, "weekdays"),
        ({"holiday_country": "XX"}, "holiday_country"),
    ],
)
def test_misconfigured_calendar_is_refused(kwargs: dict[str, object], field: str) -> None:
    base: dict[str, object] = {
        "timezone": "America/Los_Angeles",
        "open": time(8),
        "close": time(17),
        "weekdays": WEEKDAYS,
    }
    with pytest.raises(RuleError) as info:
        BusinessCalendar(**(base | kwargs))  # type: ignore[arg-type]
    assert info.value.field == field


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(RuleError):
        CAL.next_business_slot(datetime(2026, 11, 2, 10, 0))
    with pytest.raises(RuleError):
        CAL.repair_due(datetime(2026, 11, 2, 10, 0))


def test_an_opening_time_the_clock_skips_gives_no_hours_or_late_hours_that_day() -> None:
    """Regression (property suite): on spring-forward nights next_business_slot gave a slot outside
    business hours (hours wholly in the skipped hour) or skipped open moments (03:00-03:15)."""
    st_johns = ZoneInfo("America/St_Johns")  # in 2000 the clock went 00:01 → 01:01
    cal = BusinessCalendar("America/St_Johns", time(1, 0), time(1, 15), frozenset(range(7)))
    slot = cal.next_business_slot(datetime(2000, 4, 2, 0, 0, tzinfo=st_johns))
    assert slot == datetime(2000, 4, 3, 1, 0, tzinfo=st_johns)
    assert cal.is_business_hours(slot)
    cal = BusinessCalendar("America/Los_Angeles", time(2, 15), time(9), frozenset(range(7)))
    slot = cal.next_business_slot(la(2024, 3, 10, 1, 0))
    assert slot == la(2024, 3, 10, 3, 15)  # 02:15 PST does not exist: one hour on, as before
    assert not cal.is_business_hours(la(2024, 3, 10, 3, 5))  # and nothing earlier counts as open
    assert cal.is_business_hours(slot)
