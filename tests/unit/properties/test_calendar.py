"""Properties of the company calendar (SPEC §2 P-SLA, P-HOURS, P-30DAY).

Calendars are generated too (time zone, opening hours, working weekdays, holiday country,
extra closures): the rules must hold for any configuration an operator may choose.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, given
from hypothesis import strategies as st

from freight.calendar.rules import BusinessCalendar
from freight.repairs.rules import RRStatus, auto_cancel_decision, inbound_deadline
from tests.unit.properties.strategies import aware_datetimes, utc

ZONES = (
    "America/Los_Angeles", "America/New_York", "America/St_Johns", "Europe/London",
    "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Auckland", "UTC",
)  # fmt: skip
DEFAULT = BusinessCalendar("America/Los_Angeles", time(8), time(17), frozenset(range(5)))
days = st.dates(min_value=date(1995, 1, 1), max_value=date(2120, 12, 31))
moments = aware_datetimes(datetime(1995, 1, 2), datetime(2120, 12, 1))


# Opening times in the small hours (where clocks change) half of the time, else any minute.
night = st.integers(0, 16).map(lambda q: 30 + 15 * q)
any_minute = st.integers(0, 24 * 60 - 1)


@st.composite
def calendars(draw: st.DrawFn, zones: tuple[str, ...] = ZONES) -> BusinessCalendar:
    """Any valid configuration (SPEC §2 P-HOURS: "all configurable")."""
    minutes = draw(st.lists(night | any_minute, min_size=2, max_size=2, unique=True))
    opens, closes = (time(m // 60, m % 60) for m in sorted(minutes))
    closures = draw(st.frozensets(days, max_size=10))
    return BusinessCalendar(
        timezone=draw(st.sampled_from(zones)),
        open=opens,
        close=closes,
        weekdays=draw(st.frozensets(st.integers(0, 6), min_size=1)),
        holiday_country=draw(st.sampled_from(["US", "CA", "GB", "DE"])),
        extra_closures=closures,
    )


any_calendar = calendars() | st.just(DEFAULT)
DST_ZONES = ("America/Los_Angeles", "America/St_Johns", "Europe/Berlin", "Australia/Lord_Howe")


def _clock_changes(zone: str, year: int) -> list[date]:
    """The days in a year on which the zone's UTC offset changes."""
    tz, start = ZoneInfo(zone), date(year, 1, 1)
    noon = [datetime.combine(start + timedelta(n), time(12), tz) for n in range(366)]
    return [
        b.date() for a, b in zip(noon, noon[1:], strict=False) if a.utcoffset() != b.utcoffset()
    ]


@st.composite
def around_a_clock_change(draw: st.DrawFn) -> tuple[BusinessCalendar, datetime]:
    """A calendar in a zone with daylight saving, and a moment within two days of a change."""
    zone = draw(st.sampled_from(DST_ZONES))
    day = draw(st.sampled_from(_clock_changes(zone, draw(st.integers(2000, 2040)))))
    # Open in the small hours (01:00–03:45, where the clock skips or repeats), for 15 min–10 h.
    opens = draw(st.integers(4, 15)) * 15
    closes = min(opens + draw(st.sampled_from([15, 30, 45, 60, 75, 90, 600])), 24 * 60 - 1)
    cal = BusinessCalendar(
        zone, time(opens // 60, opens % 60), time(closes // 60, closes % 60), frozenset(range(7))
    )
    midnight = datetime.combine(day, time(0), ZoneInfo(zone))
    return cal, midnight + draw(st.timedeltas(timedelta(hours=-2), timedelta(hours=30)))


counts = st.integers(min_value=0, max_value=60)


@given(cal=any_calendar, start=days, n=st.integers(1, 60))
def test_adding_working_days_never_lands_on_a_closed_day(
    cal: BusinessCalendar, start: date, n: int
) -> None:
    due = cal.add_working_days(start, n)
    assert due > start
    assert cal.is_working_day(due)
    assert due.weekday() in cal.weekdays
    assert not cal.is_holiday(due)
    assert due not in cal.extra_closures
    assert cal.working_days_between(start, due) == n  # exactly n working days, start not counted


@given(cal=any_calendar, start=days, m=counts, n=counts)
def test_working_days_add_up(cal: BusinessCalendar, start: date, m: int, n: int) -> None:
    assert cal.add_working_days(cal.add_working_days(start, m), n) == cal.add_working_days(
        start, m + n
    )


@given(cal=any_calendar, a=days, span=st.integers(0, 800), n=counts)
def test_a_later_start_never_gives_an_earlier_due_date(
    cal: BusinessCalendar, a: date, span: int, n: int
) -> None:
    early, late = a, a + timedelta(days=span)
    assert cal.add_working_days(early, n) <= cal.add_working_days(late, n)
    assert cal.working_days_between(early, late) == -cal.working_days_between(late, early) >= 0


@given(received=moments, later=st.timedeltas(timedelta(0), timedelta(days=400)))
def test_the_repair_clock_is_21_working_days_after_the_receipt_date(
    received: datetime, later: timedelta
) -> None:
    """P-SLA on the default calendar: weekends and US federal holidays excluded, receipt day not
    counted; a later receipt is never due earlier."""
    due = DEFAULT.repair_due(received)
    receipt_day = received.astimezone(ZoneInfo("America/Los_Angeles")).date()
    assert DEFAULT.working_days_between(receipt_day, due) == 21
    assert due.weekday() < 5
    assert DEFAULT.is_working_day(due)
    # 21 working days are at least 4 weeks and, even around the year-end holidays, under 6.
    assert timedelta(days=28) < due - receipt_day < timedelta(days=42)
    assert DEFAULT.repair_due(received + later) >= due


@given(received=moments)
def test_the_due_date_depends_on_the_moment_not_the_zone_it_is_written_in(
    received: datetime,
) -> None:
    assert DEFAULT.repair_due(received) == DEFAULT.repair_due(received.astimezone(UTC))


@given(cal=any_calendar, now=moments)
def test_a_label_ships_in_the_next_business_slot(cal: BusinessCalendar, now: datetime) -> None:
    """P-HOURS: the ship date is inside business hours, not before now, and the first such time."""
    slot = cal.next_business_slot(now)
    assert slot >= now
    assert cal.is_business_hours(slot)
    assert utc(cal.next_business_slot(slot)) == utc(slot)
    if cal.is_business_hours(now):
        assert utc(slot) == utc(now)


@given(cal=any_calendar, now=moments, share=st.integers(0, 1000))
def test_no_business_moment_is_skipped(cal: BusinessCalendar, now: datetime, share: int) -> None:
    """Any moment between now and the slot is outside business hours (the slot is the first)."""
    slot = cal.next_business_slot(now)
    between = now + (slot - now) * share / 1000
    assume(between < slot)
    assert not cal.is_business_hours(between)


@given(cal=any_calendar, a=moments, b=moments)
def test_a_later_request_never_ships_earlier(
    cal: BusinessCalendar, a: datetime, b: datetime
) -> None:
    early, late = sorted((a, b))
    assert cal.next_business_slot(early) <= cal.next_business_slot(late)


# P-30DAY ----------------------------------------------------------------------------------------

windows = st.integers(min_value=1, max_value=90)
gaps = st.timedeltas(timedelta(0), timedelta(days=200))


@given(issued=moments, days_=windows, after=gaps)
def test_an_issued_rr_is_cancelled_once_the_window_has_passed_and_stays_so(
    issued: datetime, days_: int, after: timedelta
) -> None:
    deadline = inbound_deadline(issued, days_)
    assert deadline - issued == timedelta(days=days_)  # elapsed time, whatever the zone

    def decide(now: datetime) -> object:
        return auto_cancel_decision(
            status=RRStatus.ISSUED, issued_at=issued, first_carrier_scan_at=None,
            received_at=None, now=now, days=days_,
        )  # fmt: skip

    assert decide(deadline - timedelta(microseconds=1)) is None  # never early
    decision = decide(deadline + after)
    assert decision is not None
    assert decision.rule == "P-30DAY"  # type: ignore[attr-defined]
    assert decision.reason  # type: ignore[attr-defined]


@given(issued=moments, days_=windows, scan_after=gaps, now_after=gaps, received=st.booleans())
def test_a_hand_over_before_the_deadline_saves_the_rr(
    issued: datetime, days_: int, scan_after: timedelta, now_after: timedelta, received: bool
) -> None:
    """P-30DAY: a first carrier scan (or receipt) by the deadline stops the auto-cancel; one
    after it does not."""
    deadline = inbound_deadline(issued, days_)
    scan = issued + scan_after
    now = max(deadline, scan) + now_after
    decision = auto_cancel_decision(
        status=RRStatus.ISSUED, issued_at=issued,
        first_carrier_scan_at=None if received else scan, received_at=scan if received else None,
        now=now, days=days_,
    )  # fmt: skip
    assert (decision is None) is (scan < deadline)


@given(
    status=st.sampled_from([s for s in RRStatus if s is not RRStatus.ISSUED]),
    issued=moments,
    after=gaps,
)
def test_only_an_issued_rr_is_ever_auto_cancelled(
    status: RRStatus, issued: datetime, after: timedelta
) -> None:
    now = inbound_deadline(issued) + after
    decision = auto_cancel_decision(
        status=status, issued_at=issued, first_carrier_scan_at=None, received_at=None, now=now
    )
    assert decision is None


@given(issued=moments, days_=windows)
def test_the_deadline_depends_on_the_moment_of_issue_not_its_zone(
    issued: datetime, days_: int
) -> None:
    in_la = issued.astimezone(ZoneInfo("America/Los_Angeles"))
    assert utc(inbound_deadline(in_la, days_)) == utc(inbound_deadline(utc(issued), days_))


@given(case=around_a_clock_change(), share=st.integers(0, 1000))
def test_business_hours_survive_a_clock_change(
    case: tuple[BusinessCalendar, datetime], share: int
) -> None:
    """P-HOURS on the nights clocks change: the slot is in business hours and is the first."""
    cal, now = case
    slot = cal.next_business_slot(now)
    assert utc(slot) >= utc(now)
    assert cal.is_business_hours(slot)
    start, end = utc(now), utc(slot)
    # Just before the slot, around the hour the clock skips or repeats, and anywhere between.
    probes = [end - timedelta(seconds=s) for s in (1, 60, 15 * 60, 30 * 60, 3600, 2 * 3600)]
    probes.append(start + (end - start) * share / 1000)
    for moment in probes:
        if start <= moment < end:
            assert not cal.is_business_hours(moment), moment
