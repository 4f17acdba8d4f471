"""Advance replacement rules (ADV-*): eligibility, price, release, reminder and charge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from freight.advance import rules
from freight.money import Money
from freight.repairs.rules import AWAITING_UNIT, RRStatus
from freight.rules import RuleError
from tests.unit.properties.strategies import aware_datetimes, money

SAVED = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
PLAN = rules.timeline(SAVED, return_days=30, reminder_day=21)
hours = st.integers(min_value=0, max_value=60 * 24).map(lambda h: timedelta(hours=h))
maybe_hours = st.none() | hours


def test_eligible_only_while_the_unit_is_still_to_come() -> None:
    for status in RRStatus:
        if status in AWAITING_UNIT:
            assert (
                rules.check_eligible(
                    kind="repair", status=status, warranty_status="in_warranty"
                ).rule
                == "ADV-ELIGIBLE"
            )
        else:
            with pytest.raises(RuleError) as refused:
                rules.check_eligible(kind="repair", status=status, warranty_status="unknown")
            assert (refused.value.rule, refused.value.field) == ("ADV-ELIGIBLE", "status")
    with pytest.raises(RuleError) as out:
        rules.check_eligible(kind="repair", status="issued", warranty_status="out_of_warranty")
    assert out.value.field == "serial_number"
    with pytest.raises(RuleError) as credit:
        rules.check_eligible(kind="credit_return", status="issued", warranty_status=None)
    assert credit.value.field == "kind"


def test_price_by_part_number_and_a_part_without_one() -> None:
    price, decision = rules.price_for("alt-gw-400", {"ALT-GW-400": "249.00 USD"})
    assert price == Money(Decimal("249.00"), "USD")
    assert decision.rule == "ADV-PRICE"
    assert "249.00 USD" in decision.reason
    with pytest.raises(RuleError) as missing:
        rules.price_for("ALT-X", {"ALT-GW-400": "249.00 USD"})
    assert (missing.value.field, missing.value.rule) == ("part_number", "ADV-PRICE")
    for bad in ("249", "USD 249.00", "-1.00 USD", "0 USD", "1.00 US"):
        with pytest.raises(RuleError):
            rules.parse_price(bad)


@given(money(max_amount=10**6))
def test_price_text_round_trips(value: Money) -> None:
    if value.amount == 0:
        return
    assert rules.parse_price(f"{value.amount} {value.currency}") == value


@given(aware_datetimes(), st.integers(1, 120), st.integers(0, 120))
def test_timeline_counts_days_from_the_saved_card(
    saved: datetime, days: int, reminder: int
) -> None:
    plan = rules.timeline(saved, return_days=days, reminder_day=reminder)
    assert plan.due_at - saved == timedelta(days=days)
    if plan.remind_at is not None:
        assert saved < plan.remind_at < plan.due_at


@given(maybe_hours, maybe_hours, hours, st.booleans())
def test_release_charge_and_remind_are_exclusive_and_follow_the_window(
    scan: timedelta | None, receipt: timedelta | None, elapsed: timedelta, reminded: bool
) -> None:
    scan_at = SAVED + scan if scan is not None else None
    received_at = SAVED + receipt if receipt is not None else None
    now = SAVED + elapsed
    # Evidence the sweep can see is never in the future.
    scan_at = scan_at if scan_at is None or scan_at <= now else None
    received_at = received_at if received_at is None or received_at <= now else None
    step = rules.next_step(
        state="card_saved", now=now, plan=PLAN, reminded=reminded,
        first_scan_at=scan_at, received_at=received_at,
    )  # fmt: skip
    in_time = any(t is not None and t <= PLAN.due_at for t in (scan_at, received_at))
    if in_time:
        assert step == "release"  # ADV-RELEASE: never charged
    elif now >= PLAN.due_at:
        assert step == "charge"  # ADV-CHARGE: late or never
    elif PLAN.remind_at is not None and now >= PLAN.remind_at and not reminded:
        assert step == "remind"
    else:
        assert step == "wait"


@given(st.sampled_from(["released", "charged", "charge_failed"]), hours, maybe_hours)
def test_settled_advance_replacements_do_nothing_more(
    state: str, elapsed: timedelta, scan: timedelta | None
) -> None:
    step = rules.next_step(
        state=state, now=SAVED + elapsed, plan=PLAN, reminded=False,
        first_scan_at=SAVED + scan if scan is not None else None, received_at=None,
    )  # fmt: skip
    assert step == "wait"  # charged once: a late unit does not undo or repeat it


def test_no_card_yet_is_never_charged_but_a_returned_unit_releases_it() -> None:
    far = SAVED + timedelta(days=90)
    assert rules.next_step(state="card_requested", now=far, plan=None, reminded=False,
                           first_scan_at=None, received_at=None) == "wait"  # fmt: skip
    assert rules.next_step(state="card_requested", now=far, plan=None, reminded=False,
                           first_scan_at=far, received_at=None) == "release"  # fmt: skip


def test_charge_key_derives_from_the_rr() -> None:
    assert rules.charge_key("RR-ABC123") == "advance-charge:RR-ABC123"


def test_adv_hold_only_while_the_card_is_saved() -> None:
    from freight.advance.rules import holds_auto_cancel

    assert holds_auto_cancel("card_saved")
    for state in (None, "card_requested", "released", "charged", "charge_failed"):
        assert not holds_auto_cancel(state)
