"""P-AGREE: the policy document's version names its text; the agreement must be to it."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest

from freight.agreement.rules import agreement, check_agreement, policy_document
from freight.agreement.service import SHIPPED
from freight.rules import RuleError

DAY = date(2026, 12, 1)


def test_the_version_changes_with_the_text_and_the_date() -> None:
    one = policy_document("Return Policy\nA", effective_date=DAY)
    assert one.sha256 == hashlib.sha256(b"Return Policy\nA").hexdigest()
    assert one.version == f"2026-12-01.{one.sha256[:12]}"
    assert policy_document("Return Policy\nB", effective_date=DAY).version != one.version
    assert (
        policy_document("Return Policy\nA", effective_date=date(2027, 1, 1)).version != one.version
    )
    with pytest.raises(RuleError):
        policy_document("  \n", effective_date=DAY)


def test_the_shipped_text_is_the_return_policy() -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    assert text.startswith("Return Policy")
    assert "A 20% restocking fee applies." in text
    assert text.rstrip().endswith("I agree to the terms in the Return Policy.")


@pytest.mark.parametrize(
    ("agreed", "version", "fields"),
    [
        (True, "current", []),
        (False, "current", ["agreed"]),
        ("true", "current", ["agreed"]),
        (True, "2020-01-01.abc", ["policy_version"]),
        (None, "old", ["agreed", "policy_version"]),
    ],
)
def test_check_agreement(agreed: object, version: str, fields: list[str]) -> None:
    doc = policy_document("Return Policy\nA", effective_date=DAY)
    given = doc.version if version == "current" else version
    problems = check_agreement(agreed=agreed, policy_version=given, current=doc)
    assert [f for f, _ in problems] == fields


def test_the_agreement_record_keeps_what_p_agree_asks() -> None:
    doc = policy_document("Return Policy\nA", effective_date=DAY)
    now = datetime(2026, 12, 2, 9, tzinfo=UTC)
    record, decision = agreement(doc, now=now, client_address="10.0.0.1", user_agent="UA/1")
    assert record.as_json() == {
        "policy_version": doc.version,
        "policy_sha256": doc.sha256,
        "agreed_at": "2026-12-02T09:00:00+00:00",
        "client_address": "10.0.0.1",
        "user_agent": "UA/1",
    }
    assert decision.rule == "P-AGREE"
