"""Tiny shared types for the policy core: a decision with its rule id, and rule errors. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    """One policy outcome: the rule id (e.g. "P-MARK"), a customer-readable sentence, a code."""

    rule: str
    reason: str
    code: str = ""

    def as_json(self) -> dict[str, str]:
        """The wire shape."""
        return {"rule": self.rule, "reason": self.reason, "code": self.code}


class RuleError(ValueError):
    """A policy refusal: `rule` is the rule id ("" if none), `field` the input at fault."""

    def __init__(self, message: str, *, rule: str = "", field: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.field = field

    @property
    def reason(self) -> str:
        """The human sentence."""
        return str(self)


class TransitionError(RuleError):
    """A status change the lifecycle graph does not allow; `allowed` lists the legal targets."""

    def __init__(
        self, subject: str, current: str, target: str, allowed: Iterable[str], *, rule: str = ""
    ) -> None:
        self.current = current
        self.target = target
        self.allowed = sorted(allowed)
        options = ", ".join(self.allowed) or "none"
        super().__init__(
            f"A {subject} cannot move from '{current}' to '{target}' (allowed: {options}).",
            rule=rule,
            field="status",
        )
