"""Tiny shared types for the policy core: a decision with its rule id, and rule errors. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar


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


S = TypeVar("S", bound=StrEnum)


class Lifecycle(Generic[S]):
    """A status graph as data (status → the statuses it may move to), with the checks every
    lifecycle needs: read a status (a RuleError naming `status` when it is not one), list, test
    and check a move (TransitionError, a 409, listing the legal targets)."""

    def __init__(
        self, subject: str, graph: Mapping[S, frozenset[S]], statuses: type[S], *, rule: str = ""
    ) -> None:
        self.subject, self.graph, self.statuses, self.rule = subject, graph, statuses, rule

    def status(self, value: S | str) -> S:
        try:
            return self.statuses(value)
        except ValueError:
            raise RuleError(f"{value!r} is not a {self.subject} status.", field="status") from None

    def allowed(self, current: S | str) -> frozenset[S]:
        """Where `current` may move."""
        return self.graph[self.status(current)]

    def can(self, current: S | str, target: S | str) -> bool:
        return self.status(target) in self.allowed(current)

    def check(self, current: S | str, target: S | str) -> None:
        """Raise TransitionError unless the graph allows current → target."""
        cur, tgt = self.status(current), self.status(target)
        if tgt not in self.graph[cur]:
            allowed = (s.value for s in self.graph[cur])
            raise TransitionError(self.subject, cur.value, tgt.value, allowed, rule=self.rule)
