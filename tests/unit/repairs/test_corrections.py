from __future__ import annotations

from freight.repairs.rules import (
    TRANSITIONS,
    RRStatus,
    can_transition,
    cancel_target,
    correction_target,
)


def test_receipt_corrects_both_ways_while_unit_on_site() -> None:
    assert correction_target(RRStatus.REJECTED) is RRStatus.RECEIVED
    assert correction_target(RRStatus.RECEIVED) is RRStatus.REJECTED
    assert correction_target(RRStatus.SHIPPED) is None
    assert can_transition(RRStatus.REJECTED, RRStatus.RECEIVED)
    assert RRStatus.RECEIVED in TRANSITIONS[RRStatus.REJECTED]


def test_cancel_on_site_returns_to_sender() -> None:
    assert cancel_target(RRStatus.RECEIVED) is RRStatus.REJECTED
    assert cancel_target(RRStatus.IN_REPAIR) is RRStatus.REJECTED
    assert cancel_target(RRStatus.ISSUED) is RRStatus.CANCELLED
