"""The Return Policy document and the customer's agreement to it (P-AGREE). Pure.

P-AGREE: a request is taken only with the customer's agreement to the current policy text. The
version names the text exactly: it is the effective date plus the start of the text's sha256, so
an edited text is a new version even if nobody remembered to bump a number, and an agreement made
to an older text never passes for the current one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from freight.rules import Decision, RuleError

RULE = "P-AGREE"


@dataclass(frozen=True)
class PolicyDocument:
    version: str
    effective_date: date
    sha256: str
    text: str

    @property
    def paragraphs(self) -> list[str]:
        """The text split into its paragraphs (blank-line separated), for the page."""
        lines = [line.strip() for line in self.text.splitlines()]
        out: list[str] = []
        for line in lines:
            if line:
                out.append(line)
        return out


def policy_document(text: str, *, effective_date: date) -> PolicyDocument:
    """The document for a policy text: version, effective date and sha256 of its UTF-8 bytes."""
    if not text.strip():
        raise RuleError("The policy text is empty.", rule=RULE, field="policy_file")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return PolicyDocument(
        f"{effective_date.isoformat()}.{digest[:12]}", effective_date, digest, text
    )


@dataclass(frozen=True)
class Agreement:
    """What P-AGREE stores with a request and every RR made from it."""

    policy_version: str
    policy_sha256: str
    agreed_at: datetime
    client_address: str
    user_agent: str

    def as_json(self) -> dict[str, str]:
        return {
            "policy_version": self.policy_version,
            "policy_sha256": self.policy_sha256,
            "agreed_at": self.agreed_at.isoformat(),
            "client_address": self.client_address,
            "user_agent": self.user_agent,
        }


def check_agreement(
    *, agreed: object, policy_version: str, current: PolicyDocument
) -> list[tuple[str, str]]:
    """(field, message) for every reason the agreement does not count; empty when it does."""
    problems: list[tuple[str, str]] = []
    if agreed is not True:
        problems.append(("agreed", "you must read and accept the Return Policy (agreed: true)"))
    if policy_version != current.version:
        problems.append(
            (
                "policy_version",
                f"'{policy_version}' is not the current Return Policy (version {current.version}); "
                "read it again at /policy and accept it",
            )
        )
    return problems


def agreement(
    current: PolicyDocument, *, now: datetime, client_address: str, user_agent: str
) -> tuple[Agreement, Decision]:
    """The agreement record for the current text, and the decision that took it."""
    if now.tzinfo is None:
        raise RuleError("now must be timezone-aware.", field="now")
    record = Agreement(current.version, current.sha256, now, client_address[:100], user_agent[:500])
    reason = f"The customer accepted the Return Policy version {current.version}."
    return record, Decision(RULE, reason, "policy_accepted")
