"""Inbound return labels bought from the RR (issue 17 §1). Pure.

- P-INLABEL: a label to the depot is sold only while the RR awaits its unit (issued, nothing on
  its way yet), one per RR: a label already quoted, being bought or bought is the one shown.
- P-INLABEL-PAY: the sender prepays inbound freight (P-INBOUND), so the customer pays by card
  through a quote (P-QUOTE); where `vendor_paid_regions` lists the customer's region
  (north_america | international) the vendor pays and the label is bought at once.
- P-INLABEL-REF: the label is a return label (Shippo `extra.is_return`) and carries the RR number
  in its reference fields (`rma_number.value` ≤ 40 characters, `reference_1` ≤ 50).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from freight.repairs.rules import RRStatus
from freight.rules import RuleError

# awaits its unit and nothing is on the way yet (a label for a unit already sent is not sold)
SELLABLE = frozenset({RRStatus.ISSUED})
PURPOSE = "inbound_label"
RMA_MAX, REFERENCE_MAX = 40, 50


@dataclass(frozen=True)
class InboundPayer:
    payer: str  # vendor | customer
    card_required: bool
    rule: str
    reason: str


def check_awaiting_unit(status: str, rr_number: str) -> None:
    """P-INLABEL: raise unless the RR still waits for its unit to be sent."""
    if status not in SELLABLE:
        raise RuleError(
            f"Repair Request {rr_number} is '{status}': an inbound label is sold only while the "
            "RR awaits its unit (issued, nothing sent yet).",
            rule="P-INLABEL",
            field="rr_number",
        )


def inbound_payer(region: str, vendor_paid_regions: Collection[str]) -> InboundPayer:
    """P-INLABEL-PAY: who pays the label to the depot."""
    if region in vendor_paid_regions:
        return InboundPayer(
            "vendor", False, "P-INLABEL-PAY",
            "The vendor pays the label to the repair depot for your region; you are not charged.",
        )  # fmt: skip
    return InboundPayer(
        "customer", True, "P-INLABEL-PAY",
        "The sender prepays freight to the repair depot: pay the label by card (the quote is "
        "held on your card and the label's cost charged when it is bought).",
    )  # fmt: skip


def label_reference(rr_number: str) -> str:
    """P-INLABEL-REF: the RR number as the label's reference (fits both reference fields)."""
    reference = rr_number.strip().upper()
    if not reference or len(reference) > RMA_MAX:
        raise RuleError(
            f"RR number {rr_number!r} does not fit the label's RMA field ({RMA_MAX} characters).",
            rule="P-INLABEL-REF",
            field="rr_number",
        )
    return reference
