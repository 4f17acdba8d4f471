"""The one way an RR's status changes: `move` checks the lifecycle, records who moved it, when
and under which rule, and frees the serial once the RR is over (P-SERIAL).

(Issue 10 brings a shared `move(rr, to, actor, note)`; this is the stand-in until it lands, so
the new flows already go through one function.)
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from freight.repairs import repository as repo
from freight.repairs.models import RepairRequest
from freight.repairs.rules import RRStatus, check_transition

TERMINAL = frozenset({RRStatus.CANCELLED, RRStatus.CLOSED, RRStatus.REFUNDED})


def move(
    session: Session,
    rr: RepairRequest,
    to: RRStatus,
    *,
    actor: str,
    at: datetime,
    rule: str | None = None,
    note: str = "",
) -> None:
    """Move the RR along its lifecycle (TransitionError when the move is not allowed)."""
    check_transition(rr.status, to)
    repo.add_history(session, rr, to_status=to.value, actor=actor, at=at, rule=rule, note=note)
    if to in TERMINAL:
        rr.open_serial = None
