"""The one way an RR's status changes: `move` checks the lifecycle (TRANSITIONS), records who
moved it, when and under which rule, and frees the serial once the RR is over (P-SERIAL).
`issue` starts the lifecycle of a new RR; `note` adds a history line without a move."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from freight.repairs import repository as repo
from freight.repairs.models import RepairRequest
from freight.repairs.rules import RR_LIFECYCLE, RRStatus

TERMINAL = frozenset({RRStatus.CANCELLED, RRStatus.CLOSED, RRStatus.REFUNDED})


def move(
    session: Session,
    rr: RepairRequest,
    to: RRStatus | str,
    *,
    actor: str,
    at: datetime,
    rule: str | None = None,
    note: str = "",
) -> None:
    """Move the RR along its lifecycle (TransitionError when the move is not allowed)."""
    target = RR_LIFECYCLE.status(to)
    RR_LIFECYCLE.check(rr.status, target)
    repo.add_history(session, rr, from_status=rr.status, to_status=target.value, actor=actor,
                     at=at, rule=rule, note=note)  # fmt: skip
    rr.status = target.value
    if target in TERMINAL:
        rr.open_serial = None


def note(
    session: Session, rr: RepairRequest, text: str, *, actor: str, at: datetime,
    rule: str | None = None,
) -> None:  # fmt: skip
    """A line in the RR's history that does not move it (an offer, a correction)."""
    repo.add_history(session, rr, from_status=rr.status, to_status=rr.status, actor=actor, at=at,
                     rule=rule, note=text)  # fmt: skip


def issue(session: Session, rr: RepairRequest, *, actor: str, at: datetime) -> None:
    """A new RR: issued, with the first line of its history."""
    rr.status = RRStatus.ISSUED.value
    repo.add_history(session, rr, from_status=None, to_status=rr.status, actor=actor, at=at,
                     note="RR issued")  # fmt: skip
