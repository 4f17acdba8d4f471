"""Damage/loss detection rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from carriers.incidents import detect
from carriers.types import Substatus, TrackingEvent, TrackingStatus

NOW = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "code", "text", "kind"),
    [
        ("TRANSIT", "package_damaged", "", "damage"),
        ("FAILURE", "package_lost", "", "loss"),
        ("FAILURE", "package_disposed", "", "loss"),
        ("RETURNED", "return_to_sender", "", "returned"),
        ("FAILURE", "package_undeliverable", "", "failure"),
        ("TRANSIT", None, "Carton crushed at hub", "damage"),
        ("TRANSIT", None, "Package DAMAGED, rewrapped", "damage"),
        ("TRANSIT", None, "Package lost in network", "loss"),
        ("RETURNED", None, "Sent back", "returned"),
        ("FAILURE", None, "Exception", "failure"),
        ("TRANSIT", "package_departed", "Departed facility", None),
        ("DELIVERED", "delivered", "Delivered", None),
    ],
)
def test_rules(status: TrackingStatus, code: str | None, text: str, kind: str | None) -> None:
    substatus = Substatus(code, text) if code else None
    incident = detect(status, substatus, text)
    assert (incident.kind if incident else None) == kind


def test_code_wins_over_words() -> None:
    incident = detect("TRANSIT", Substatus("package_damaged", "box wet"), "lost its label")
    assert incident is not None
    assert incident.kind == "damage"


def test_loss_in_history_is_superseded_by_delivery() -> None:
    lost = TrackingEvent("FAILURE", Substatus("package_lost", "lost"), "lost", NOW)
    assert detect("DELIVERED", Substatus("delivered", "ok"), "Delivered", [lost]) is None
