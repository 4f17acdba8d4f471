"""Inbound label rules (P-INLABEL, P-INLABEL-PAY, P-INLABEL-REF) and the carrier mapping."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carriers.sandbox.pdf import reference_lines
from carriers.sandbox.validation import extra_errors
from carriers.shippo.mapping import shipment_json
from carriers.types import Address, Parcel, RateRequest
from freight.inbound import rules
from freight.rules import RuleError

ADDR = Address(name="A", street1="1 St", city="C", postal_code="1", country="US")
PARCEL = Parcel(Decimal(1), Decimal(1), Decimal(1), "in", Decimal(1), "lb")


def test_only_an_rr_awaiting_its_unit_gets_a_label() -> None:
    rules.check_awaiting_unit("issued", "RR-1")
    for status in ("inbound_in_transit", "received", "shipped", "cancelled"):
        with pytest.raises(RuleError) as err:
            rules.check_awaiting_unit(status, "RR-1")
        assert err.value.rule == "P-INLABEL"
        assert err.value.field == "rr_number"


def test_customer_pays_unless_the_region_is_vendor_paid() -> None:
    assert rules.inbound_payer("international", []).payer == "customer"
    assert rules.inbound_payer("international", []).card_required
    assert rules.inbound_payer("north_america", ["north_america"]).payer == "vendor"
    assert rules.inbound_payer("international", ["north_america"]).payer == "customer"


def test_reference_is_the_rr_number_within_the_rma_field() -> None:
    assert rules.label_reference(" rr-2026-00012 ") == "RR-2026-00012"
    with pytest.raises(RuleError):
        rules.label_reference("X" * 41)


def test_shippo_shipment_carries_the_return_flag_and_references() -> None:
    body = shipment_json(
        RateRequest(ADDR, ADDR, (PARCEL,), is_return=True, reference="RR-2026-00012")
    )
    assert body["extra"] == {
        "is_return": True,
        "rma_number": {"value": "RR-2026-00012"},
        "reference_1": "RR-2026-00012",
    }
    assert "extra" not in shipment_json(RateRequest(ADDR, ADDR, (PARCEL,)))


def test_sandbox_checks_the_extra_fields_as_shippo_defines_them() -> None:
    assert extra_errors({"is_return": True, "reference_1": "x" * 50}) == {}
    assert "is_return" in extra_errors({"is_return": "yes"})
    assert "reference_1" in extra_errors({"reference_1": "x" * 51})
    assert "rma_number" in extra_errors({"rma_number": {"value": "x" * 41}})
    assert "rma_number" in extra_errors({"rma_number": "RR-1"})


def test_sandbox_label_prints_return_and_references() -> None:
    lines = reference_lines({"is_return": True, "rma_number": {"value": "RR-1"},
                             "reference_1": "RR-1"})  # fmt: skip
    assert lines == ["RETURN LABEL", "RMA: RR-1", "REF: RR-1"]
    assert reference_lines({}) == []
