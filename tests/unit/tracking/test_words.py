"""The customer page says carrier and status in words, never raw codes."""

from __future__ import annotations

import pytest

from freight.repairs.rules import RRStatus
from freight.tracking.rules import shipment_status_label, status_label


@pytest.mark.parametrize("status", [s.value for s in RRStatus])
def test_every_rr_status_has_a_label_without_codes(status: str) -> None:
    label = status_label(status)
    assert "_" not in label
    assert label[0].isupper()


def test_labels_read_as_words() -> None:
    assert status_label("awaiting_payment") == "Waiting for your payment"
    assert shipment_status_label("DELIVERED") == "Delivered"
    assert shipment_status_label("TRANSIT") == "In transit"
    assert shipment_status_label("TRANSIT", arrived=True) == "Arrived at the depot"
