"""Properties of the carrier-event merge (freight.tracking.rules T-DISTINCT, T-ORDER, T-NEWEST,
T-CARRIER-TIME, P-30DAY): however the carrier's events arrive — in any order, any number of
times, in any batches — the stored history and the status it gives are the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from freight.tracking.rules import CarrierEvent, carrier_event, merge_events, tracking_state

ISSUED = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
STATUSES = ("PRE_TRANSIT", "TRANSIT", "DELIVERED", "RETURNED", "FAILURE", "UNKNOWN")

events = st.builds(
    lambda minutes, status, code, text, place: carrier_event(
        occurred_at=ISSUED + timedelta(minutes=minutes), status=status, substatus_code=code,
        text=text, location=place,
    ),
    st.integers(-600, 6000),  # a few scans may predate the RR
    st.sampled_from(STATUSES),
    st.sampled_from([None, "package_accepted", "delivered", "package_damaged"]),
    st.sampled_from(["", "Accepted", "Arrived at hub", "Delivered"]),
    st.sampled_from([None, "Memphis, TN 38118 US", "San Jose, CA 95134 US"]),
)  # fmt: skip


def _deliver_in(arrivals: list[list[CarrierEvent]]) -> list[CarrierEvent]:
    """Feed batches one by one as successive webhooks/polls would; the stored history."""
    stored: list[CarrierEvent] = []
    for batch in arrivals:
        stored, _new = merge_events(stored, batch)
    return stored


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[CarrierEvent], list[list[CarrierEvent]]]:
    """A set of distinct events, and the same events arriving shuffled, repeated and batched."""
    unique = draw(st.lists(events, min_size=1, max_size=12, unique_by=lambda e: e.key))
    repeated = unique + draw(st.lists(st.sampled_from(unique), max_size=12))
    shuffled = draw(st.permutations(repeated))
    cuts = sorted(draw(st.lists(st.integers(0, len(shuffled)), max_size=5)))
    bounds = [0, *cuts, len(shuffled)]
    return unique, [shuffled[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


@settings(max_examples=300, deadline=None)
@given(deliveries())
def test_any_arrival_order_gives_the_same_history_and_state(
    case: tuple[list[CarrierEvent], list[list[CarrierEvent]]],
) -> None:
    unique, arrivals = case
    in_order = sorted(unique, key=lambda e: e.occurred_at)
    expected_history, _ = merge_events([], in_order)
    history = _deliver_in(arrivals)
    assert history == expected_history  # every distinct event once, in carrier time order
    assert len(history) == len(unique)
    assert [e.occurred_at for e in history] == sorted(e.occurred_at for e in unique)
    assert tracking_state(history, issued_at=ISSUED) == tracking_state(
        expected_history, issued_at=ISSUED
    )


@settings(max_examples=300, deadline=None)
@given(deliveries())
def test_status_is_the_newest_known_event_and_scans_before_issue_do_not_count(
    case: tuple[list[CarrierEvent], list[list[CarrierEvent]]],
) -> None:
    unique, arrivals = case
    state = tracking_state(_deliver_in(arrivals), issued_at=ISSUED)
    known = [e for e in unique if e.status != "UNKNOWN"]
    if not known:
        assert state.status is None
        return
    newest_time = max(e.occurred_at for e in known)
    assert state.newest is not None
    assert state.newest.occurred_at == newest_time
    # a terminal status at the newest time is never displaced by anything older
    if any(e.status == "DELIVERED" for e in known if e.occurred_at == newest_time):
        assert state.status == "DELIVERED"
        assert state.delivered_at is not None
        assert state.delivered_at <= newest_time
    if state.first_scan_at is not None:
        assert state.first_scan_at >= ISSUED
    scans_after = [
        e.occurred_at for e in unique
        if e.status not in ("PRE_TRANSIT", "UNKNOWN") and e.occurred_at >= ISSUED
    ]  # fmt: skip
    assert state.first_scan_at == (min(scans_after) if scans_after else None)


def test_delivered_then_an_older_transit_stays_delivered_at_the_carriers_time() -> None:
    at = datetime(2026, 11, 4, 15, 30, tzinfo=UTC)
    delivered = carrier_event(occurred_at=at, status="DELIVERED", text="Delivered")
    transit = carrier_event(occurred_at=at - timedelta(hours=20), status="TRANSIT", text="Hub")
    history, new = merge_events([delivered], [transit])
    assert history == [transit, delivered]
    assert new == [transit]
    state = tracking_state(history, issued_at=ISSUED)
    assert (state.status, state.delivered_at) == ("DELIVERED", at)


def test_same_time_and_status_but_another_place_or_text_is_another_event() -> None:
    at = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    a = carrier_event(occurred_at=at, status="TRANSIT", text="Arrived", location="Memphis")
    b = carrier_event(occurred_at=at, status="TRANSIT", text="Departed", location="Memphis")
    c = carrier_event(occurred_at=at, status="TRANSIT", text="Arrived", location="Louisville")
    same = carrier_event(
        occurred_at=at.replace(microsecond=400), status="TRANSIT", text="Arrived",
        location="Memphis",
    )  # fmt: skip
    history, _ = merge_events([], [a, b, c, same, a])
    assert len(history) == 3
