"""Properties of carrier claims (SPEC §2 P-CLAIM, §5 carrier claim deadlines, §3 Claim).

The service must say who files, by when and what evidence to keep; the deadline is counted from
the event the carrier counts from, in the carrier's days (SPEC §5 defaults, restated here).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from freight.claims.rules import (
    UNFILED_STATUSES,
    ClaimStatus,
    check_claim_transition,
    claim_file_by,
    claim_filer,
    evidence_checklist,
    expire_decision,
    merged_kind,
)
from freight.rules import RuleError, TransitionError
from tests.unit.properties.strategies import aware_datetimes, spelled

# SPEC §5: UPS 60 after delivery; FedEx 60 after delivery domestic, 21 international; USPS 60
# after mailing; DHL Express 30 after pickup; others 30 after delivery.
SPEC_DEADLINES = {
    "ups": ((60, 60), "delivery"),
    "fedex": ((60, 21), "delivery"),
    "usps": ((60, 60), "mailing"),
    "dhl_express": ((30, 30), "pickup"),
}
OTHER = ((30, 30), "delivery")
carriers = st.sampled_from([*SPEC_DEADLINES, "canada_post", "purolator", "ontrac", "shippo"])
moments = aware_datetimes()
maybe_moments = st.none() | moments


def spec(carrier: str, international: bool) -> tuple[int, str]:
    (domestic, abroad), basis = SPEC_DEADLINES.get(carrier, OTHER)
    return (abroad if international else domestic), basis


def file_by(
    carrier: str, international: bool, events: dict[str, datetime | None], now: datetime
) -> date:
    day, _ = claim_file_by(
        carrier=carrier, international=international, delivered_at=events.get("delivery"),
        mailed_at=events.get("mailing"), picked_up_at=events.get("pickup"), now=now,
    )  # fmt: skip
    return day


@given(carrier=carriers, international=st.booleans(), event=moments, now=moments)
def test_the_deadline_is_the_carriers_days_after_its_own_event(
    carrier: str, international: bool, event: datetime, now: datetime
) -> None:
    days, basis = spec(carrier, international)
    day, sentence = claim_file_by(
        carrier=carrier, international=international,
        delivered_at=event if basis == "delivery" else None,
        mailed_at=event if basis == "mailing" else None,
        picked_up_at=event if basis == "pickup" else None, now=now,
    )  # fmt: skip
    assert day == event.date() + timedelta(days=days)  # the carrier's local day, SPEC §5
    assert f"within {days} days after {basis}" in sentence
    assert "counted from" not in sentence


@given(carrier=carriers, international=st.booleans(), data=st.data(), now=moments)
def test_the_carrier_name_may_be_written_in_any_case(
    carrier: str, international: bool, data: st.DataObject, now: datetime
) -> None:
    events = {"delivery": data.draw(maybe_moments), "mailing": data.draw(maybe_moments),
              "pickup": data.draw(maybe_moments)}  # fmt: skip
    written = data.draw(spelled(carrier))
    assume(written.strip())
    assert file_by(written, international, events, now) == file_by(
        carrier, international, events, now
    )


@given(
    carrier=carriers,
    international=st.booleans(),
    event=moments,
    later=st.timedeltas(timedelta(0), timedelta(days=400)),
    now=moments,
)
def test_a_later_event_never_gives_an_earlier_deadline(
    carrier: str, international: bool, event: datetime, later: timedelta, now: datetime
) -> None:
    """Monotone in the event date (both dates written in the same zone)."""
    _, basis = spec(carrier, international)
    early = file_by(carrier, international, {basis: event}, now)
    late = file_by(carrier, international, {basis: event + later}, now)
    assert early <= late
    assert (late - early).days == ((event + later).date() - event.date()).days


@given(
    carrier=st.sampled_from(["ups", "fedex", "canada_post"]),  # counted from delivery
    international=st.booleans(),
    picked_up=moments,
    transit=st.timedeltas(timedelta(0), timedelta(days=30)),
    now=moments,
)
def test_without_a_delivery_date_the_deadline_errs_early(
    carrier: str, international: bool, picked_up: datetime, transit: timedelta, now: datetime
) -> None:
    """Filing early is always safe: counting from the hand-over never gives a later day."""
    delivered = picked_up + transit
    known = file_by(carrier, international, {"pickup": picked_up, "delivery": delivered}, now)
    unknown_delivery = file_by(carrier, international, {"pickup": picked_up}, now)
    assert unknown_delivery <= known


@given(carrier=carriers, international=st.booleans(), now=moments)
def test_with_no_event_known_the_days_count_from_today_and_the_sentence_says_so(
    carrier: str, international: bool, now: datetime
) -> None:
    days, _ = spec(carrier, international)
    day, sentence = claim_file_by(
        carrier=carrier, international=international, delivered_at=None, mailed_at=None,
        picked_up_at=None, now=now,
    )  # fmt: skip
    assert day == now.date() + timedelta(days=days)
    assert "counted from today" in sentence


@given(
    carrier=carriers,
    naive=st.datetimes(),
    which=st.sampled_from(["delivered_at", "mailed_at", "picked_up_at", "now"]),
)
def test_a_time_without_a_zone_is_refused_naming_the_field(
    carrier: str, naive: datetime, which: str
) -> None:
    aware = datetime(2026, 1, 1).astimezone()
    kwargs: dict[str, object] = {"delivered_at": None, "mailed_at": None, "picked_up_at": None}
    kwargs.update({"now": aware, which: naive})
    with pytest.raises(RuleError) as info:
        claim_file_by(carrier=carrier, international=False, **kwargs)  # type: ignore[arg-type]
    assert info.value.field == which


@given(direction=st.sampled_from(["inbound", "outbound"]))
def test_who_files_follows_the_direction_and_records_the_rule(direction: str) -> None:
    """P-CLAIM: the customer files for outbound; P-INBOUND: the sender for inbound."""
    filer, decision = claim_filer(direction)  # type: ignore[arg-type]
    assert (filer, decision.rule) == (
        ("customer", "P-CLAIM") if direction == "outbound" else ("sender", "P-INBOUND")
    )
    assert decision.reason
    assert decision.code


@given(kind=st.sampled_from(["damage", "concealed_damage"]))
def test_damage_evidence_keeps_the_container_packing_and_unit_and_asks_for_photos(
    kind: str,
) -> None:
    text = " ".join(evidence_checklist(kind)).lower()  # type: ignore[arg-type]
    for words in ("shipping container", "packing material", "unit intact", "photos"):
        assert words in text


# The claim lifecycle ----------------------------------------------------------------------------

statuses = st.sampled_from(list(ClaimStatus))
TERMINAL = {ClaimStatus.CLOSED, ClaimStatus.EXPIRED}


def _allowed(current: ClaimStatus, target: ClaimStatus) -> bool:
    try:
        check_claim_transition(current, target)
    except TransitionError as exc:
        refusal = exc
    else:
        return True
    assert (refusal.rule, refusal.field) == ("P-CLAIM", "status")
    assert target.value not in refusal.allowed
    return False


@given(moves=st.lists(statuses, max_size=20))
def test_a_claim_walk_ends_closed_or_expired_for_good(moves: list[ClaimStatus]) -> None:
    """Any sequence of requested moves: refused ones change nothing, terminal stays terminal,
    a filed claim can only be closed (it cannot expire), nothing returns to open."""
    current, history = ClaimStatus.OPEN, [ClaimStatus.OPEN]
    for target in moves:
        was = current
        if _allowed(current, target):
            current = target
            history.append(current)
        if was in TERMINAL:
            assert current == was
        if was == ClaimStatus.FILED:
            assert current in (ClaimStatus.FILED, ClaimStatus.CLOSED)
    assert ClaimStatus.OPEN not in history[1:]
    if ClaimStatus.EXPIRED in history:
        assert ClaimStatus.FILED not in history


@given(
    status=statuses,
    deadline=st.dates(),
    today=st.dates(),
    later=st.integers(0, 3000),
)
def test_only_an_unfiled_claim_expires_and_only_after_its_deadline(
    status: ClaimStatus, deadline: date, today: date, later: int
) -> None:
    decision = expire_decision(status, deadline, today)
    if status not in UNFILED_STATUSES or today <= deadline:
        assert decision is None  # the deadline day itself still counts
        return
    assert decision is not None
    assert decision.rule == "P-CLAIM"
    assert deadline.isoformat() in decision.reason
    # Once passed, it stays passed.
    assume(today + timedelta(days=later) <= date.max)
    assert expire_decision(status, deadline, today + timedelta(days=later)) is not None


kinds = st.sampled_from(["loss", "concealed_damage", "damage"])
RANK = {"loss": 0, "concealed_damage": 1, "damage": 2}


@given(first=kinds, signals=st.lists(kinds, max_size=6), data=st.data())
def test_confirmed_signals_merge_to_the_strongest_kind_in_any_order(
    first: str, signals: list[str], data: st.DataObject
) -> None:
    """Seen damage beats concealed damage beats a possible loss, whatever arrives first."""

    def merge(order: list[str]) -> str:
        kind = first
        for signal in order:
            kind = merged_kind(kind, signal, current_review=False, signal_review=False)
        return kind

    expected = max([first, *signals], key=RANK.__getitem__)
    assert merge(signals) == expected
    assert merge(data.draw(st.permutations(signals))) == expected
