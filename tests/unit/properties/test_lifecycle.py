"""Properties of the RR lifecycle (SPEC §3 Status; P-30DAY, P-REJECT, P-CREDIT, P-SERIAL).

Random walks over the moves `TRANSITIONS` allows, and random requested moves, must keep the
story an RR can tell: nothing ships before the unit came in, terminal states stay terminal.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from freight.repairs.rules import (
    OPEN_STATUSES,
    TRANSITIONS,
    ReceiptInspection,
    RRStatus,
    RuleError,
    TransitionError,
    can_transition,
    check_staff_transition,
    check_transition,
    decide_receipt,
)
from tests.unit.properties.strategies import aware_datetimes

S = RRStatus
TERMINAL = {S.CLOSED, S.CANCELLED, S.REFUNDED}
# The unit is with the vendor once received, or refused at the receiving desk (rejected).
CAME_IN = {S.RECEIVED, S.REJECTED}
statuses = st.sampled_from(list(RRStatus))


@st.composite
def walks(draw: st.DrawFn, graph: object = TRANSITIONS) -> list[RRStatus]:
    """A path from issued taking only allowed moves, until a terminal state or 40 steps."""
    moves = graph
    path = [S.ISSUED]
    for _ in range(40):
        options = sorted(moves[path[-1]])  # type: ignore[index]
        if not options:
            break
        path.append(draw(st.sampled_from(options)))
    return path


def _reaches_terminal(start: RRStatus) -> bool:
    seen, todo = {start}, [start]
    while todo:
        for nxt in TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return bool(seen & TERMINAL)


@given(path=walks())
def test_a_walk_of_allowed_moves_tells_a_possible_story(path: list[RRStatus]) -> None:
    for i, (before, after) in enumerate(zip(path, path[1:], strict=False)):
        check_transition(before, after)  # every step is allowed, as a string too
        check_transition(before.value, after.value)
        earlier = set(path[: i + 1])
        assert before not in TERMINAL  # nothing leaves a terminal state
        if after == S.SHIPPED:
            assert earlier & CAME_IN  # nothing ships before the unit came in
        if after == S.DELIVERED:
            assert path[i] == S.SHIPPED
        if after == S.REFUNDED:
            assert before == S.RECEIVED  # P-CREDIT: an accepted credit return
        if after == S.CANCELLED:
            assert S.READY_TO_SHIP not in earlier  # P-30DAY or staff: never once it is outbound
            rejected_at = [j for j in range(i + 1) if path[j] == S.REJECTED]
            # R-CORRECT: only a rejection later corrected back to received can precede a cancel.
            assert not rejected_at or S.RECEIVED in path[rejected_at[-1] : i + 1]
        if after == S.AWAITING_PAYMENT:
            assert before in (S.READY_TO_SHIP, S.REJECTED)  # P-QUOTE: a quote for the way back
    # From wherever the walk stands, the RR can still end (no state traps it open forever).
    assert path[-1] in TERMINAL or _reaches_terminal(path[-1])


@given(path=walks(), targets=st.lists(statuses, min_size=1, max_size=5))
def test_terminal_states_stay_terminal(path: list[RRStatus], targets: list[RRStatus]) -> None:
    end = path[-1]
    if end not in TERMINAL:
        return
    for target in targets:
        assert not can_transition(end, target)
        with pytest.raises(TransitionError) as info:
            check_transition(end, target)
        assert info.value.allowed == []
        with pytest.raises(TransitionError):
            check_staff_transition(end, target)


@given(current=statuses, target=statuses)
def test_a_refused_move_names_the_status_field_and_the_moves_that_are_allowed(
    current: RRStatus, target: RRStatus
) -> None:
    if target in TRANSITIONS[current]:
        check_transition(current, target)
        assert can_transition(current, target)
        return
    with pytest.raises(TransitionError) as info:
        check_transition(current, target)
    assert info.value.field == "status"
    assert info.value.allowed == sorted(s.value for s in TRANSITIONS[current])
    assert not can_transition(current, target)


@given(current=statuses, target=statuses)
def test_staff_can_only_make_moves_the_system_allows(current: RRStatus, target: RRStatus) -> None:
    try:
        check_staff_transition(current, target)
    except TransitionError:
        return
    assert can_transition(current, target)
    # Staff never ship, deliver, refund or reject by hand: those come from labels, tracking,
    # payments and the receiving desk.
    assert target not in {S.SHIPPED, S.DELIVERED, S.REFUNDED, S.REJECTED, S.RECEIVED}


@given(value=st.text(max_size=20))
def test_anything_that_is_not_a_status_is_refused_naming_the_field(value: str) -> None:
    if value in {s.value for s in RRStatus}:
        return
    with pytest.raises(RuleError) as info:
        check_transition(value, S.ISSUED)
    assert info.value.field == "status"
    with pytest.raises(RuleError) as info:
        check_transition(S.ISSUED, value)
    assert info.value.field == "status"


@given(path=walks())
def test_an_rr_holds_its_serial_exactly_while_it_can_still_move(path: list[RRStatus]) -> None:
    """P-SERIAL: at most one open RR per serial; the serial is free once the RR has ended."""
    for status in path:
        assert (status in OPEN_STATUSES) is bool(TRANSITIONS[status])


class RequestedMoves(RuleBasedStateMachine):
    """Staff and the system ask for arbitrary moves; the refused ones must change nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.status = S.ISSUED
        self.history = [S.ISSUED]

    @rule(wanted=statuses)
    def system_asks(self, wanted: RRStatus) -> None:
        try:
            check_transition(self.status, wanted)
        except TransitionError:
            return
        self.status = wanted
        self.history.append(wanted)

    @precondition(lambda self: self.status not in TERMINAL)
    @rule(wanted=statuses)
    def staff_asks(self, wanted: RRStatus) -> None:
        try:
            check_staff_transition(self.status, wanted)
        except TransitionError:
            return
        self.status = wanted
        self.history.append(wanted)

    @invariant()
    def story_holds(self) -> None:
        assert self.status in set(RRStatus)
        for i, status in enumerate(self.history[1:], start=1):
            assert status in TRANSITIONS[self.history[i - 1]]
        ended = [i for i, s in enumerate(self.history) if s in TERMINAL]
        assert not ended or ended[0] == len(self.history) - 1  # nothing after an ending


TestRequestedMoves = RequestedMoves.TestCase


# Receipt inspection (P-MARK, P-INBOUND, P-SERIAL, P-REJECT, P-CREDIT) --------------------------

RECEIPT_RULES = {"P-MARK", "P-INBOUND", "P-SERIAL", "P-REJECT", "P-CREDIT", "P-WARRANTY"}
serials = st.from_regex(r"[A-Z0-9]{4,12}", fullmatch=True)
received_moments = aware_datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1))


@st.composite
def inspections(draw: st.DrawFn, expected: str) -> ReceiptInspection:
    seen = draw(
        st.sampled_from([expected, f"  {expected.lower()} ", "", "OTHER-1"]) | st.none() | serials
    )
    return ReceiptInspection(
        rr_marked_on_carton=draw(st.booleans()),
        freight_collect=draw(st.booleans()),
        visible_damage=draw(st.booleans()),
        serial_number_seen=seen,
        third_party_equipment=draw(st.booleans()),
        out_of_warranty=draw(st.booleans()),
        original_packaging=draw(st.none() | st.booleans()),
    )


@given(
    expected=serials,
    kind=st.sampled_from(["repair", "credit_return"]),
    now=received_moments,
    since=st.none() | st.timedeltas(timedelta(0), timedelta(days=90)),
    data=st.data(),
)
def test_a_unit_is_accepted_only_when_no_rule_refuses_it_and_every_refusal_names_its_rule(
    expected: str, kind: str, now: datetime, since: timedelta | None, data: st.DataObject
) -> None:
    inspection = data.draw(inspections(expected))
    received = None if since is None else now - since
    decision = decide_receipt(
        inspection, expected_serial=expected, kind=kind, now=now,  # type: ignore[arg-type]
        customer_received_at=received,
    )  # fmt: skip
    assert decision.accepted is (decision.reasons == ())
    assert decision.target_status == (S.RECEIVED if decision.accepted else S.REJECTED)
    assert all(r.rule in RECEIPT_RULES and r.reason and r.code for r in decision.reasons)
    assert decision.damage is inspection.visible_damage  # damage is flagged for a claim
    serial_ok = (inspection.serial_number_seen or "").strip().upper() == expected
    late = kind == "credit_return" and since is not None and since > timedelta(days=30)
    must_refuse = (
        not inspection.rr_marked_on_carton  # P-MARK
        or inspection.freight_collect  # P-INBOUND
        or inspection.visible_damage  # P-REJECT / P-CREDIT
        or not serial_ok  # P-SERIAL
        or inspection.out_of_warranty
        or inspection.third_party_equipment
        or (kind == "credit_return" and inspection.original_packaging is False)
        or late  # P-CREDIT: 30 days from the customer's receipt
    )
    assert decision.accepted is not must_refuse
