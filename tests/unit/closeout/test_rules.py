"""End-of-day rules: M-DATE, M-EMPTY, P-HOURS pickup windows."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from freight.calendar.rules import BusinessCalendar
from freight.closeout import rules
from freight.rules import RuleError

CAL = BusinessCalendar("America/Los_Angeles", time(8), time(17), frozenset(range(5)))
PST = timezone(timedelta(hours=-8))
NOW = datetime(2026, 11, 2, 17, 0, tzinfo=UTC)  # Monday 09:00 PST


def test_no_manifest_for_a_future_day() -> None:
    rules.check_ship_date(date(2026, 11, 2), today=date(2026, 11, 2))
    rules.check_ship_date(date(2026, 10, 30), today=date(2026, 11, 2))
    with pytest.raises(RuleError) as err:
        rules.check_ship_date(date(2026, 11, 3), today=date(2026, 11, 2))
    assert (err.value.rule, err.value.field) == ("M-DATE", "ship_date")


def test_no_manifest_without_labels() -> None:
    rules.check_has_labels(1, carrier="usps", ship_date=date(2026, 11, 2))
    with pytest.raises(RuleError) as err:
        rules.check_has_labels(0, carrier="usps", ship_date=date(2026, 11, 2))
    assert (err.value.rule, err.value.field) == ("M-EMPTY", "carrier")


def _window(h1: int, h2: int, day: int = 2) -> rules.Window:
    start = datetime(2026, 11, day, h1, 0, tzinfo=PST)
    end = datetime(2026, 11, day, h2, 0, tzinfo=PST)
    return rules.check_pickup_window(CAL, start=start, end=end, now=NOW)


def test_pickup_window_inside_business_hours() -> None:
    window = _window(14, 17)
    assert window.day == date(2026, 11, 2)
    assert window.start == datetime(2026, 11, 2, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("h1", "h2", "day", "field"),
    [
        (18, 19, 2, "requested_start_time"),  # after closing
        (6, 9, 2, "requested_start_time"),  # before opening
        (16, 18, 2, "requested_end_time"),  # past closing
        (15, 14, 2, "requested_end_time"),  # ends before it starts
        (10, 11, 7, "requested_start_time"),  # Saturday
        (8, 8, 2, "requested_end_time"),  # empty window
    ],
)
def test_pickup_window_outside_business_hours(h1: int, h2: int, day: int, field: str) -> None:
    with pytest.raises(RuleError) as err:
        _window(h1, h2, day)
    assert (err.value.rule, err.value.field) == ("P-HOURS", field)


def test_pickup_in_the_past_is_refused() -> None:
    with pytest.raises(RuleError) as err:
        _window(8, 9)  # 08:00 is before the clock's 09:00
    assert err.value.field == "requested_start_time"


def test_day_bounds_are_company_midnights() -> None:
    start, end = rules.day_bounds(CAL, date(2026, 11, 2))
    assert start == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
