"""Tracking rules: tracking-number formats per carrier, the first-scan rule, customer wording."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from freight.rules import RuleError
from freight.tracking.rules import (
    TrackFacts,
    check_tracking,
    first_scan_decision,
    is_carrier_scan,
    next_steps,
    status_text,
    tracking_url,
)


@pytest.mark.parametrize(
    ("carrier", "number", "expected"),
    [
        ("usps", "9400 1118 9922 3197 4284 90", ("usps", "9400111899223197428490")),
        ("USPS", "EC123456789US", ("usps", "EC123456789US")),
        ("ups", "1z999aa10123456784", ("ups", "1Z999AA10123456784")),
        ("FedEx", "4490-4430-4137-821", ("fedex", "449044304137821")),
        ("DHL Express", "1234567890", ("dhl_express", "1234567890")),
        ("shippo", "SHIPPO_DELIVERED", ("shippo", "SHIPPO_DELIVERED")),
    ],
)
def test_known_formats_are_accepted_and_normalized(
    carrier: str, number: str, expected: tuple[str, str]
) -> None:
    assert check_tracking(carrier, number) == expected


@pytest.mark.parametrize(
    ("carrier", "number", "field"),
    [
        ("pony_express", "9400111899223197428490", "carrier"),
        ("ups", "9400111899223197428490", "tracking_number"),
        ("usps", "1Z999AA10123456784", "tracking_number"),
        ("fedex", "12345", "tracking_number"),
        ("shippo", "SHIPPO_LOST", "tracking_number"),
        ("dhl_express", "", "tracking_number"),
    ],
)
def test_wrong_carrier_or_format_names_the_field(carrier: str, number: str, field: str) -> None:
    with pytest.raises(RuleError) as err:
        check_tracking(carrier, number)
    assert err.value.field == field


def test_tracking_url_for_known_carriers_only() -> None:
    assert tracking_url("ups", "1Z999AA10123456784") == (
        "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    )
    assert tracking_url("shippo", "SHIPPO_TRANSIT") is None
    assert tracking_url(None, None) is None


def test_a_label_is_not_a_scan() -> None:
    assert not is_carrier_scan("PRE_TRANSIT")
    assert not is_carrier_scan("UNKNOWN")
    assert is_carrier_scan("TRANSIT")
    assert is_carrier_scan("DELIVERED")


def test_first_scan_counts_only_before_the_deadline() -> None:
    deadline = datetime(2026, 12, 2, 17, tzinfo=UTC)
    decision = first_scan_decision(
        scan_at=deadline - timedelta(seconds=1), inbound_deadline=deadline
    )
    assert decision is not None
    assert decision.rule == "P-30DAY"
    assert first_scan_decision(scan_at=deadline, inbound_deadline=deadline) is None


def _facts(status: str, **over: object) -> TrackFacts:
    base: dict[str, object] = {
        "rr_number": "RR-ABCD2345", "status": status, "inbound_deadline": "2026-12-02",
        "has_inbound_tracking": False, "has_open_quote": False, "has_delivered_outbound": False,
    }  # fmt: skip
    return TrackFacts(**{**base, **over})  # type: ignore[arg-type]


def test_next_steps_before_shipping_say_mark_prepay_no_cod_and_deadline() -> None:
    text = " ".join(next_steps(_facts("issued")))
    assert "RR-ABCD2345" in text
    assert "COD" in text
    assert "2026-12-02" in text
    assert "tracking number" in text
    registered = " ".join(next_steps(_facts("issued", has_inbound_tracking=True)))
    assert "tracking number here" not in registered


def test_next_steps_ask_for_the_quote_and_inspection() -> None:
    assert "quote" in next_steps(_facts("awaiting_payment"))[0]
    assert "quote" in next_steps(_facts("rejected", has_open_quote=True))[0]
    assert "damage" in next_steps(_facts("shipped"))[0]
    delivered = " ".join(next_steps(_facts("delivered")))
    assert "concealed damage" in delivered
    assert "packing material" in delivered


def test_every_status_has_plain_words() -> None:
    assert status_text("inbound_in_transit") == "Your unit is on its way to our repair depot."
    assert status_text("something_new") == "Something new."
