"""Which email goes out when: event kind → template and subject. Pure."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class EmailKind:
    """One customer email: its template file and subject line (str.format over the context)."""

    template: str
    subject: str


EMAILS: Mapping[str, EmailKind] = MappingProxyType(
    {
        "rr_issued": EmailKind("rr_issued.txt", "Your Repair Request {rr_number} is open"),
        "receipt_accepted": EmailKind(
            "receipt_accepted.txt", "We received your unit ({rr_number})"
        ),
        "receipt_rejected": EmailKind(
            "receipt_rejected.txt", "We could not accept your unit ({rr_number})"
        ),
        "rr_cancelled_on_site": EmailKind(
            "rr_cancelled_on_site.txt",
            "Repair Request {rr_number} is cancelled: your unit comes back",
        ),
        "quote_ready": EmailKind("quote_ready.txt", "Freight quote for {rr_number}"),
        "card_reconfirm": EmailKind(
            "card_reconfirm.txt", "Please confirm your card again for {rr_number}"
        ),
        "shipped": EmailKind("shipped.txt", "Your unit is on its way ({rr_number})"),
        "delivered": EmailKind(
            "delivered.txt", "Delivered: please inspect your package now ({rr_number})"
        ),
        "credit_refunded": EmailKind(
            "credit_refunded.txt", "Your return {rr_number} is refunded: {refund}"
        ),
        "submission_received": EmailKind(
            "submission_received.txt", "We received your repair/return request {submission_id}"
        ),
        "submission_info_requested": EmailKind(
            "submission_info_requested.txt",
            "More information needed for your request {submission_id}",
        ),
        "submission_reply_received": EmailKind(
            "submission_reply_received.txt", "We received your answer ({submission_id})"
        ),
        "submission_approved": EmailKind(
            "submission_approved.txt", "Your Repair Request number(s): {rr_numbers}"
        ),
        "submission_declined": EmailKind(
            "submission_declined.txt", "Your request {submission_id} was declined"
        ),
        "advance_offered": EmailKind(
            "advance_offered.txt", "Advance replacement for {rr_number}: save a card"
        ),
        "advance_card_saved": EmailKind(
            "advance_card_saved.txt", "Card saved: return your unit by {due_date} ({rr_number})"
        ),
        "advance_reminder": EmailKind(
            "advance_reminder.txt", "Reminder: return your unit by {due_date} ({rr_number})"
        ),
        "advance_released": EmailKind(
            "advance_released.txt", "Your card is released ({rr_number})"
        ),
        "advance_charged": EmailKind(
            "advance_charged.txt", "Advance replacement {rr_number}: {price} charged"
        ),
        "advance_charge_failed": EmailKind(
            "advance_charge_failed.txt", "Advance replacement {rr_number}: the charge failed"
        ),
        "rr_auto_cancelled": EmailKind(
            "rr_auto_cancelled.txt", "Repair Request {rr_number} is cancelled: no unit arrived"
        ),
        "quote_expired": EmailKind(
            "quote_expired.txt", "Your freight quote for {rr_number} has expired"
        ),
        "card_captured": EmailKind(
            "card_captured.txt", "Receipt: {captured} charged for freight ({rr_number})"
        ),
        "payment_voided": EmailKind(
            "payment_voided.txt", "Your card hold for {rr_number} is released"
        ),
        "payment_refunded": EmailKind(
            "payment_refunded.txt", "Freight refunded for {rr_number}: {refund}"
        ),
        "claim_opened": EmailKind(
            "claim_opened.txt",
            "Shipping damage or loss on {rr_number}: file with {carrier} by {file_by}",
        ),
    }
)


class UnknownEmailError(ValueError):
    """An email kind that has no template."""


def email_kind(kind: str) -> EmailKind:
    """The template and subject of an email kind."""
    try:
        return EMAILS[kind]
    except KeyError:
        raise UnknownEmailError(f"no email for {kind!r}; one of {', '.join(EMAILS)}") from None


def subject_for(kind: str, context: Mapping[str, object]) -> str:
    """The subject line, with missing context values left out rather than failing."""
    return email_kind(kind).subject.format_map(_Blank(context))


class _Blank(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return ""


def dedup_key(rr_number: str, kind: str, discriminator: str = "") -> str:
    """The job key that makes one signal send one email, however often it repeats."""
    return f"notify:{rr_number}:{kind}:{discriminator}"


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def outbox_name(key: str) -> str:
    """A stable, file-system-safe .eml name for one message (re-sending overwrites it)."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"{_UNSAFE.sub('_', key).strip('_')[:120]}-{digest}.eml"
