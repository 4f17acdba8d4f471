"""Repair Request rules: lifecycle, RR numbers, P-30DAY, receipt inspection, credit refunds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from freight.money import Money
from freight.repairs.rules import (
    RR_ALPHABET,
    STAFF_TRANSITIONS,
    TRANSITIONS,
    ReceiptInspection,
    RRStatus,
    TransitionError,
    auto_cancel_decision,
    can_transition,
    check_staff_transition,
    check_transition,
    credit_refund,
    decide_receipt,
    inbound_deadline,
    is_rr_number,
    new_rr_number,
    normalize_rr_number,
    open_statuses,
)
from freight.rules import RuleError

S = RRStatus
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ISSUED = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
DEADLINE = ISSUED + timedelta(days=30)

# Lifecycle -------------------------------------------------------------------------------


def test_graph_covers_every_status_and_terminals_are_final() -> None:
    assert set(TRANSITIONS) == set(RRStatus)
    for terminal in (S.CLOSED, S.CANCELLED, S.REFUNDED):
        assert TRANSITIONS[terminal] == frozenset()


def test_staff_moves_are_a_subset_of_system_moves() -> None:
    for status, targets in STAFF_TRANSITIONS.items():
        assert targets <= TRANSITIONS[status]


def test_every_status_is_reachable_from_issued() -> None:
    seen, todo = {S.ISSUED}, [S.ISSUED]
    while todo:
        for nxt in TRANSITIONS[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    assert seen == set(RRStatus)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("issued", "inbound_in_transit"), ("issued", "received"), ("issued", "rejected"),
        ("issued", "cancelled"), ("inbound_in_transit", "received"),
        ("inbound_in_transit", "cancelled"), ("received", "in_repair"), ("received", "refunded"),
        ("in_repair", "ready_to_ship"), ("in_repair", "rejected"),
        ("ready_to_ship", "awaiting_payment"), ("ready_to_ship", "shipped"),
        ("awaiting_payment", "shipped"), ("awaiting_payment", "ready_to_ship"),
        ("shipped", "delivered"), ("shipped", "ready_to_ship"), ("delivered", "closed"),
        ("rejected", "shipped"), ("rejected", "awaiting_payment"), ("rejected", "closed"),
    ],
)  # fmt: skip
def test_system_transitions_allowed(current: str, target: str) -> None:
    check_transition(current, target)
    assert can_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("issued", "shipped"), ("received", "shipped"), ("closed", "issued"),
        ("cancelled", "received"), ("refunded", "closed"), ("delivered", "cancelled"),
        ("shipped", "cancelled"), ("ready_to_ship", "in_repair"), ("issued", "issued"),
    ],
)  # fmt: skip
def test_system_transitions_refused(current: str, target: str) -> None:
    assert not can_transition(current, target)
    with pytest.raises(TransitionError) as info:
        check_transition(current, target)
    err = info.value
    assert (err.current, err.target, err.field) == (current, target, "status")
    assert err.allowed == sorted(s.value for s in TRANSITIONS[S(current)])


@pytest.mark.parametrize(
    ("current", "target", "ok"),
    [
        ("received", "in_repair", True), ("in_repair", "ready_to_ship", True),
        ("delivered", "closed", True), ("issued", "cancelled", True),
        ("inbound_in_transit", "cancelled", True), ("received", "cancelled", True),
        ("in_repair", "cancelled", True),
        ("ready_to_ship", "cancelled", False), ("ready_to_ship", "shipped", False),
        ("issued", "received", False), ("received", "refunded", False),
        ("in_repair", "rejected", False), ("shipped", "delivered", False),
        ("closed", "cancelled", False),
    ],
)  # fmt: skip
def test_staff_transitions(current: str, target: str, ok: bool) -> None:
    if ok:
        check_staff_transition(current, target)
    else:
        with pytest.raises(TransitionError):
            check_staff_transition(current, target)


def test_staff_error_lists_allowed_moves() -> None:
    with pytest.raises(TransitionError) as info:
        check_staff_transition(S.RECEIVED, S.SHIPPED)
    assert info.value.allowed == ["cancelled", "in_repair"]
    assert "cannot move from 'received' to 'shipped'" in str(info.value)


def test_unknown_status_names_the_field() -> None:
    with pytest.raises(RuleError) as info:
        check_transition("issued", "teleported")
    assert info.value.field == "status"
    assert not isinstance(info.value, TransitionError)


def test_open_statuses_hold_the_serial_until_the_rr_ends() -> None:
    assert set(RRStatus) - open_statuses == {S.CANCELLED, S.CLOSED, S.REFUNDED}
    assert S.REJECTED in open_statuses  # the unit is still here until it is sent back


# RR numbers ------------------------------------------------------------------------------


def test_new_rr_number_uses_the_unambiguous_alphabet() -> None:
    numbers = {new_rr_number() for _ in range(200)}
    assert len(numbers) == 200
    for number in numbers:
        assert is_rr_number(number)
        assert len(number) == 11
        assert set(number[3:]) <= set(RR_ALPHABET)
    assert not set("01OIL") & set(RR_ALPHABET)


def test_new_rr_number_with_injected_randomness() -> None:
    assert new_rr_number(lambda n: "A" * n) == "RR-AAAAAAAA"
    with pytest.raises(RuleError):
        new_rr_number(lambda n: "a" * n)


@pytest.mark.parametrize(
    ("value", "ok"),
    [("RR-ABC234", True), ("RR-ABCDEF234567", True), ("RR-ABCD0123", True),
     ("RR-ABC23", False), ("RR-ABCDEF2345678", False), ("rr-abc234xy", False),
     ("RR_ABC234XY", False), ("RR-ABC234XY\n", False), (" RR-ABC234XY", False),
     ("", False), (None, False), (12345678, False)],
)  # fmt: skip
def test_is_rr_number(value: object, ok: bool) -> None:
    assert is_rr_number(value) is ok


def test_normalize_rr_number() -> None:
    assert normalize_rr_number("  rr-abc234xy ") == "RR-ABC234XY"


# P-30DAY ---------------------------------------------------------------------------------


def test_inbound_deadline_is_thirty_days_after_issue() -> None:
    assert inbound_deadline(ISSUED) == datetime(2026, 10, 31, 9, 0, tzinfo=UTC)
    assert inbound_deadline(ISSUED, days=10) == datetime(2026, 10, 11, 9, 0, tzinfo=UTC)
    with pytest.raises(RuleError):
        inbound_deadline(datetime(2026, 10, 1))


def test_inbound_deadline_is_the_same_instant_whatever_zone_the_issue_time_is_in() -> None:
    """Regression (property suite): wall-clock arithmetic in a DST zone moved it by an hour."""
    from zoneinfo import ZoneInfo

    issued = datetime(2026, 10, 20, 19, 0, tzinfo=UTC)  # 12:00 PDT; 30 days later it is PST
    in_la = issued.astimezone(ZoneInfo("America/Los_Angeles"))
    assert (
        inbound_deadline(in_la)
        == inbound_deadline(issued)
        == datetime(2026, 11, 19, 19, 0, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("status", "scan", "received", "now", "cancel"),
    [
        (S.ISSUED, None, None, DEADLINE, True),  # exactly at the deadline
        (S.ISSUED, None, None, DEADLINE + timedelta(days=5), True),
        (S.ISSUED, None, None, DEADLINE - timedelta(seconds=1), False),
        (S.ISSUED, DEADLINE - timedelta(hours=1), None, DEADLINE + timedelta(days=1), False),
        (S.ISSUED, DEADLINE + timedelta(hours=1), None, DEADLINE + timedelta(days=1), True),
        (S.ISSUED, None, DEADLINE - timedelta(days=1), DEADLINE + timedelta(days=1), False),
        (S.INBOUND_IN_TRANSIT, None, None, DEADLINE + timedelta(days=9), False),
        (S.RECEIVED, None, None, DEADLINE + timedelta(days=9), False),
        (S.CANCELLED, None, None, DEADLINE + timedelta(days=9), False),
    ],
)
def test_auto_cancel_decision(
    status: RRStatus,
    scan: datetime | None,
    received: datetime | None,
    now: datetime,
    cancel: bool,
) -> None:
    decision = auto_cancel_decision(
        status=status, issued_at=ISSUED, first_carrier_scan_at=scan, received_at=received, now=now
    )
    if not cancel:
        assert decision is None
        return
    assert decision is not None
    assert (decision.rule, decision.code) == ("P-30DAY", "inbound_window_expired")
    assert "within 30 days" in decision.reason
    assert "2026-10-31" in decision.reason


# Receipt ---------------------------------------------------------------------------------

GOOD = ReceiptInspection(
    rr_marked_on_carton=True,
    freight_collect=False,
    visible_damage=False,
    serial_number_seen="SN-1234",
    third_party_equipment=False,
)


def _inspect(**changes: object) -> ReceiptInspection:
    return replace(GOOD, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "kind", "codes", "rules"),
    [
        ({}, "repair", (), ()),
        ({"serial_number_seen": "  sn-1234 "}, "repair", (), ()),
        ({"rr_marked_on_carton": False}, "repair", ("unmarked",), ("P-MARK",)),
        ({"freight_collect": True}, "repair", ("freight_collect",), ("P-INBOUND",)),
        ({"visible_damage": True}, "repair", ("damaged",), ("P-REJECT",)),
        ({"visible_damage": True}, "credit_return", ("damaged",), ("P-CREDIT",)),
        ({"serial_number_seen": None}, "repair", ("serial_missing",), ("P-SERIAL",)),
        ({"serial_number_seen": "   "}, "repair", ("serial_missing",), ("P-SERIAL",)),
        ({"serial_number_seen": "SN-9999"}, "repair", ("serial_mismatch",), ("P-SERIAL",)),
        ({"out_of_warranty": True}, "repair", ("out_of_warranty",), ("P-REJECT",)),
        ({"third_party_equipment": True}, "repair", ("third_party",), ("P-REJECT",)),
        (
            {"original_packaging": False},
            "credit_return",
            ("not_original_packaging",),
            ("P-CREDIT",),
        ),
        ({"original_packaging": False}, "repair", (), ()),  # packaging only matters for credit
        ({"original_packaging": None}, "credit_return", (), ()),
        (
            {
                "rr_marked_on_carton": False,
                "freight_collect": True,
                "visible_damage": True,
                "serial_number_seen": "OTHER",
                "third_party_equipment": True,
                "out_of_warranty": True,
            },
            "repair",
            (
                "unmarked",
                "freight_collect",
                "damaged",
                "serial_mismatch",
                "out_of_warranty",
                "third_party",
            ),
            ("P-MARK", "P-INBOUND", "P-REJECT", "P-SERIAL", "P-REJECT", "P-REJECT"),
        ),
    ],
)
def test_decide_receipt_lists_every_reason(
    changes: dict[str, object], kind: str, codes: tuple[str, ...], rules: tuple[str, ...]
) -> None:
    decision = decide_receipt(_inspect(**changes), expected_serial="SN-1234", kind=kind, now=NOW)  # type: ignore[arg-type]
    assert decision.codes == codes
    assert tuple(r.rule for r in decision.reasons) == rules
    assert decision.accepted is (not codes)
    assert decision.target_status == (S.RECEIVED if not codes else S.REJECTED)
    assert decision.damage is bool(changes.get("visible_damage"))
    assert all(r.reason.endswith(".") for r in decision.reasons)


@pytest.mark.parametrize(
    ("customer_received_at", "codes"),
    [
        (NOW - timedelta(days=30), ()),  # the 30th day still counts
        (NOW - timedelta(days=30, seconds=1), ("credit_window_expired",)),
        (NOW - timedelta(days=2), ()),
        (None, ()),
    ],
)
def test_credit_window(customer_received_at: datetime | None, codes: tuple[str, ...]) -> None:
    decision = decide_receipt(
        GOOD,
        expected_serial="SN-1234",
        kind="credit_return",
        now=NOW,
        customer_received_at=customer_received_at,
    )
    assert decision.codes == codes


def test_damaged_credit_return_with_packaging_and_lateness_lists_all_three() -> None:
    decision = decide_receipt(
        _inspect(visible_damage=True, original_packaging=False),
        expected_serial="SN-1234",
        kind="credit_return",
        now=NOW,
        customer_received_at=NOW - timedelta(days=45),
        credit_days=40,
    )
    assert decision.codes == ("damaged", "not_original_packaging", "credit_window_expired")
    assert {r.rule for r in decision.reasons} == {"P-CREDIT"}
    assert "within 40 days" in decision.reasons[-1].reason
    assert decision.damage
    assert not decision.accepted


def test_receipt_refuses_naive_now() -> None:
    with pytest.raises(RuleError):
        decide_receipt(GOOD, expected_serial="SN-1234", kind="repair", now=datetime(2026, 1, 1))


# Credit refunds --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "currency", "refund", "fee"),
    [
        ("99.99", "USD", "79.99", "20.00"),
        ("100.00", "USD", "80.00", "20.00"),
        ("0.05", "USD", "0.04", "0.01"),  # 0.01 exactly, half-up stays 0.01
        ("0.03", "USD", "0.02", "0.01"),  # 0.006 rounds up
        ("0.02", "USD", "0.02", "0.00"),  # 0.004 rounds down
        ("0.00", "USD", "0.00", "0.00"),
        ("12.345", "USD", "9.88", "2.47"),  # price first rounded to 12.35
        ("999", "JPY", "799", "200"),  # 199.8 → 200 yen
        ("1", "JPY", "1", "0"),
        ("10.005", "KWD", "8.004", "2.001"),
    ],
)
def test_credit_refund_rounds_half_up_and_adds_up(
    price: str, currency: str, refund: str, fee: str
) -> None:
    got_refund, got_fee = credit_refund(Money.of(price, currency))
    assert got_refund == Money.of(refund, currency)
    assert got_fee == Money.of(fee, currency)
    assert got_refund + got_fee == Money.of(price, currency).quantize()


def test_credit_refund_custom_rate() -> None:
    assert credit_refund(Money.of("50.00"), Decimal("0.15")) == (
        Money.of("42.50"),
        Money.of("7.50"),
    )


@pytest.mark.parametrize(
    ("price", "rate", "field"),
    [("-0.01", "0.20", "price"), ("10", "-0.1", "fee_rate"), ("10", "1.5", "fee_rate")],
)
def test_credit_refund_refuses_bad_input(price: str, rate: str, field: str) -> None:
    with pytest.raises(RuleError) as info:
        credit_refund(Money.of(price), Decimal(rate))
    assert info.value.field == field


@given(
    cents=st.integers(min_value=0, max_value=10**11),
    rate=st.decimals(min_value=0, max_value=1, places=4),
)
def test_credit_refund_properties(cents: int, rate: Decimal) -> None:
    """P-CREDIT: refund + fee = price, both in cents, neither negative, fee ≈ rate × price."""
    price = Money(Decimal(cents).scaleb(-2), "USD")
    refund, fee = credit_refund(price, rate)
    assert refund + fee == price.quantize()
    assert refund.amount >= 0
    assert fee.amount >= 0
    assert refund.amount.as_tuple().exponent == -2
    assert abs(fee.amount - price.amount * rate) <= Decimal("0.005")


@pytest.mark.parametrize(
    ("over", "fields"),
    [
        ({}, []),
        ({"document_type": "invoice"}, ["proof_of_purchase.document_type"]),
        ({"has_price": False, "payment_reference": None},
         ["proof_of_purchase.price", "proof_of_purchase.payment_reference"]),
        ({"customer_received_at": None}, []),  # the purchase date is enough
        ({"customer_received_at": None, "purchase_date": None}, ["customer_received_at"]),
    ],
)  # fmt: skip
def test_credit_returns_are_web_store_purchases_only(
    over: dict[str, object], fields: list[str]
) -> None:
    from datetime import date

    from freight.repairs.rules import credit_return_problems

    args: dict[str, object] = {
        "document_type": "web_order",
        "has_price": True,
        "payment_reference": "pi_1",
        "customer_received_at": datetime(2026, 10, 1, tzinfo=UTC),
        "purchase_date": date(2026, 9, 1),
    }
    args.update(over)
    assert [f for f, _ in credit_return_problems(**args)] == fields  # type: ignore[arg-type]


def test_a_registry_warranty_finding_replaces_the_checkbox_reason() -> None:
    from freight.rules import Decision as D

    finding = D("P-WARRANTY", "Ended 2025-01-14.", "out_of_warranty")
    inspection = ReceiptInspection(
        rr_marked_on_carton=True, freight_collect=False, visible_damage=False,
        serial_number_seen="SN1", third_party_equipment=False, out_of_warranty=True,
        warranty=finding,
    )  # fmt: skip
    decision = decide_receipt(inspection, expected_serial="SN1", kind="repair", now=NOW)
    assert decision.reasons == (finding,)


def test_the_credit_window_starts_at_receipt_else_after_the_purchase_day() -> None:
    from datetime import date

    from freight.repairs.rules import credit_window_start

    received = datetime(2026, 10, 5, 9, tzinfo=UTC)
    assert credit_window_start(received, date(2026, 10, 1)) == received
    assert credit_window_start(None, date(2026, 10, 1)) == datetime(2026, 10, 2, tzinfo=UTC)
    assert credit_window_start(None, None) is None
