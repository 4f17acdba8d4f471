"""Carrier claims: deadlines per carrier, who files, evidence, claim status moves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from freight.claims.rules import (
    CLAIM_DEADLINES,
    ClaimStatus,
    check_claim_transition,
    claim_file_by,
    claim_filer,
    evidence_checklist,
    expire_decision,
)
from freight.rules import RuleError, TransitionError

MAILED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
PICKED = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
DELIVERED = datetime(2026, 3, 6, 18, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("carrier", "international", "due", "sentence"),
    [
        ("ups", False, date(2026, 5, 5), "UPS: within 60 days after delivery"),
        ("UPS", True, date(2026, 5, 5), "UPS: within 60 days after delivery"),
        ("fedex", False, date(2026, 5, 5), "FedEx: within 60 days after delivery"),
        ("fedex", True, date(2026, 3, 27), "FedEx: within 21 days after delivery (international)"),
        ("usps", False, date(2026, 5, 1), "USPS: within 60 days after mailing"),
        ("dhl_express", True, date(2026, 4, 2), "DHL Express: within 30 days after pickup"),
        ("canada_post", False, date(2026, 4, 5), "Canada Post: within 30 days after delivery"),
        ("shippo", False, date(2026, 4, 5), "Shippo test carrier: within 30 days after delivery"),
    ],
)
def test_claim_deadline_per_carrier(
    carrier: str, international: bool, due: date, sentence: str
) -> None:
    result = claim_file_by(
        carrier=carrier,
        international=international,
        delivered_at=DELIVERED,
        mailed_at=MAILED,
        picked_up_at=PICKED,
        now=NOW,
    )
    assert result == (due, sentence)


@pytest.mark.parametrize(
    ("carrier", "delivered", "mailed", "picked", "due", "note"),
    [
        # Lost UPS parcel: no delivery, counted from the pickup (errs early).
        ("ups", None, None, PICKED, date(2026, 5, 2), "delivery date known, counted from pickup)"),
        ("usps", None, None, PICKED, date(2026, 5, 2), "mailing date known, counted from pickup)"),
        (
            "dhl_express",
            None,
            MAILED,
            None,
            date(2026, 4, 1),
            "pickup date known, counted from mailing)",
        ),
        (
            "dhl_express",
            DELIVERED,
            None,
            None,
            date(2026, 4, 5),
            "pickup date known, counted from delivery)",
        ),
        ("fedex", None, None, None, date(2026, 5, 19), "delivery date known, counted from today)"),
    ],
)
def test_claim_deadline_falls_back_and_says_so(
    carrier: str,
    delivered: datetime | None,
    mailed: datetime | None,
    picked: datetime | None,
    due: date,
    note: str,
) -> None:
    got, sentence = claim_file_by(
        carrier=carrier,
        international=False,
        delivered_at=delivered,
        mailed_at=mailed,
        picked_up_at=picked,
        now=NOW,
    )
    assert got == due
    assert sentence.endswith(f" (no {note}")


def test_claim_deadline_counts_local_days_of_the_event() -> None:
    # 23:30 in Los Angeles on Mar 6 is already Mar 7 in UTC; the carrier's local date counts.
    pst = timezone(timedelta(hours=-8))
    got, _ = claim_file_by(
        carrier="ups",
        international=False,
        delivered_at=datetime(2026, 3, 6, 23, 30, tzinfo=pst),
        mailed_at=None,
        picked_up_at=None,
        now=NOW,
    )
    assert got == date(2026, 5, 5)


def test_claim_deadline_refuses_naive_datetimes() -> None:
    with pytest.raises(RuleError):
        claim_file_by(
            carrier="ups",
            international=False,
            delivered_at=datetime(2026, 3, 6),
            mailed_at=None,
            picked_up_at=None,
            now=NOW,
        )


def test_deadlines_are_data_keyed_by_shippo_tokens() -> None:
    assert {"ups", "fedex", "usps", "dhl_express", "default"} <= set(CLAIM_DEADLINES)
    assert CLAIM_DEADLINES["fedex"].days_for(international=True) == 21
    assert CLAIM_DEADLINES["fedex"].days_for(international=False) == 60


@pytest.mark.parametrize(
    ("direction", "filer", "rule", "code"),
    [
        ("outbound", "customer", "P-CLAIM", "customer_files"),
        ("inbound", "sender", "P-INBOUND", "sender_files"),
    ],
)
def test_claim_filer(direction: str, filer: str, rule: str, code: str) -> None:
    who, decision = claim_filer(direction)  # type: ignore[arg-type]
    assert (who, decision.rule, decision.code) == (filer, rule, code)


def test_inbound_filer_sentence_says_vendor_not_liable() -> None:
    _, decision = claim_filer("inbound")
    assert "not liable" in decision.reason


def test_claim_filer_refuses_unknown_direction() -> None:
    with pytest.raises(RuleError):
        claim_filer("sideways")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "must_mention"),
    [
        (
            "damage",
            ("container, packing material and unit intact", "Photos", "tracking number", "invoice"),
        ),
        ("concealed_damage", ("promptly", "intact", "Photos", "invoice")),
        ("loss", ("Proof of shipment", "Proof of value", "tracking number")),
    ],
)
def test_evidence_checklist(kind: str, must_mention: tuple[str, ...]) -> None:
    text = " ".join(evidence_checklist(kind))  # type: ignore[arg-type]
    for phrase in must_mention:
        assert phrase in text


def test_loss_checklist_asks_for_no_photos_of_the_unit() -> None:
    assert not any("Photos" in item for item in evidence_checklist("loss"))


def test_evidence_checklist_unknown_kind() -> None:
    with pytest.raises(RuleError):
        evidence_checklist("theft")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("current", "target", "ok"),
    [
        ("open", "notified", True), ("notified", "filed", True), ("filed", "closed", True),
        ("open", "closed", True), ("notified", "closed", True), ("open", "filed", True),
        ("open", "expired", True), ("notified", "expired", True),
        ("filed", "expired", False), ("closed", "open", False), ("expired", "filed", False),
        ("filed", "notified", False), ("open", "open", False),
    ],
)  # fmt: skip
def test_claim_transitions(current: str, target: str, ok: bool) -> None:
    if ok:
        check_claim_transition(current, target)
        return
    with pytest.raises(TransitionError) as info:
        check_claim_transition(current, target)
    assert info.value.rule == "P-CLAIM"
    assert info.value.current == current


def test_claim_transition_error_lists_allowed() -> None:
    with pytest.raises(TransitionError) as info:
        check_claim_transition(ClaimStatus.FILED, ClaimStatus.EXPIRED)
    assert info.value.allowed == ["closed"]


def test_unknown_claim_status() -> None:
    with pytest.raises(RuleError) as info:
        check_claim_transition("open", "lost")
    assert info.value.field == "status"


@pytest.mark.parametrize(
    ("status", "today", "expires"),
    [
        ("open", date(2026, 5, 6), True),
        ("notified", date(2026, 5, 6), True),
        ("open", date(2026, 5, 5), False),  # the file-by day itself is still in time
        ("filed", date(2026, 6, 1), False),
        ("closed", date(2026, 6, 1), False),
        ("expired", date(2026, 6, 1), False),
    ],
)
def test_expire_decision(status: str, today: date, expires: bool) -> None:
    decision = expire_decision(status, date(2026, 5, 5), today)
    if not expires:
        assert decision is None
        return
    assert decision is not None
    assert (decision.rule, decision.code) == ("P-CLAIM", "claim_deadline_passed")
    assert "2026-05-05" in decision.reason


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"delivered_at": datetime(2026, 5, 1)}, "delivered_at"),  # was "delivery_at"
        ({"mailed_at": datetime(2026, 5, 1)}, "mailed_at"),  # was "mailing_at"
        ({"picked_up_at": datetime(2026, 5, 1)}, "picked_up_at"),  # was "pickup_at"
        # A naive "now" passed unnoticed whenever an event date was known.
        ({"delivered_at": datetime(2026, 5, 1, tzinfo=UTC), "now": datetime(2026, 5, 2)}, "now"),
    ],
)
def test_a_naive_time_is_refused_naming_the_argument(over: dict[str, object], field: str) -> None:
    """Regression (property suite): the refusal named fields the function does not have."""
    kwargs: dict[str, object] = {"delivered_at": None, "mailed_at": None, "picked_up_at": None,
                                 "now": datetime(2026, 5, 2, tzinfo=UTC), **over}  # fmt: skip
    with pytest.raises(RuleError) as info:
        claim_file_by(carrier="ups", international=False, **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field
