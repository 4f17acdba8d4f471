"""Claim use cases: flag damage/loss (one claim per shipment), the queue, expiry. Never commits."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from freight.carrier_registry import display_name
from freight.claims import repository as repo
from freight.claims.models import Claim
from freight.claims.rules import (
    ClaimKind,
    ClaimStatus,
    check_claim_transition,
    claim_file_by,
    claim_filer,
    evidence_checklist,
    expire_decision,
    merged_kind,
)
from freight.db import new_id
from freight.errors import ConflictError, NotFoundError, invalid
from freight.notifications.service import notify
from freight.repairs.models import RepairRequest
from freight.rules import RuleError, TransitionError
from freight.shipments.models import Shipment

log = logging.getLogger("freight.claims")


@dataclass(frozen=True)
class ClaimSignal:
    """One reason to flag damage or loss: where it came from and what it says."""

    source: str  # carrier_event | receipt_inspection | customer_report
    kind: ClaimKind
    note: str
    code: str = ""  # distinguishes signals, so a repeated one changes nothing
    review: bool = False  # returned / failure: staff review before anyone files
    carrier: str | None = None  # when there is no shipment (or it has no carrier)
    delivered_at: datetime | None = None  # when the shipment does not know it (receipt desk)


def flag(
    session: Session,
    *,
    rr: RepairRequest,
    shipment: Shipment | None,
    signal: ClaimSignal,
    actor: str,
    now: datetime,
) -> Claim:
    """Open the claim for this shipment, or update the one that exists (never two)."""
    claim = _existing(session, rr, shipment, signal)
    if claim is None:
        claim, created = _new_claim(
            session, rr=rr, shipment=shipment, signal=signal, actor=actor, now=now
        )
        if created:
            _announce(session, rr, claim)
            return claim
    was_review = bool(claim.details.get("review_required"))
    _merge(claim, rr=rr, shipment=shipment, signal=signal, actor=actor, now=now)
    if was_review and not claim.details.get("review_required"):
        _announce(session, rr, claim)  # a flag under review became a real incident
    return claim


def _existing(
    session: Session, rr: RepairRequest, shipment: Shipment | None, signal: ClaimSignal
) -> Claim | None:
    if shipment is not None:
        return repo.for_shipment(session, shipment.id)
    return repo.unlinked_for_rr(session, rr.id, signal.source)


def _signal_key(signal: ClaimSignal) -> str:
    return f"{signal.source}:{signal.kind}:{signal.code}:{int(signal.review)}"


def _deadline(
    shipment: Shipment | None, signal: ClaimSignal, *, international: bool, now: datetime
) -> tuple[date, str, str | None]:
    carrier = (shipment.carrier if shipment else None) or signal.carrier
    delivered = (shipment.delivered_at if shipment else None) or signal.delivered_at
    scan = shipment.first_scan_at if shipment else None
    mailed = (shipment.ship_date if shipment else None) or scan
    file_by, sentence = claim_file_by(
        carrier=carrier or "", international=international,
        delivered_at=delivered, mailed_at=mailed, picked_up_at=scan, now=now,
    )  # fmt: skip
    return file_by, sentence, (carrier or "").strip().lower() or None


def _direction(shipment: Shipment | None) -> str:
    return shipment.direction if shipment is not None else "inbound"


def _new_claim(
    session: Session,
    *,
    rr: RepairRequest,
    shipment: Shipment | None,
    signal: ClaimSignal,
    actor: str,
    now: datetime,
) -> tuple[Claim, bool]:
    international = bool(shipment.international) if shipment else False
    file_by, sentence, carrier = _deadline(shipment, signal, international=international, now=now)
    filer, why = claim_filer(_direction(shipment))  # type: ignore[arg-type]
    claim = Claim(
        id=new_id("clm"), shipment_id=shipment.id if shipment else None, rr_id=rr.id,
        source=signal.source, kind=signal.kind, filer=filer, carrier=carrier, file_by=file_by,
        deadline_rule=sentence, evidence=list(evidence_checklist(signal.kind)),
        status=ClaimStatus.OPEN.value,
        notes=[_note(now, actor, signal.note)],
        details={
            "review_required": signal.review, "signals": [_signal_key(signal)],
            "created_by_signal": _signal_key(signal), "filer_reason": why.reason,
            "filer_rule": why.rule, "incident": signal.code or signal.kind,
        },
        created_at=now, updated_at=now,
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(claim)
            session.flush()
    except IntegrityError:  # a concurrent signal opened it first: update that one instead
        existing = _existing(session, rr, shipment, signal)
        if existing is None:
            raise
        return existing, False
    log.info("claim.opened id=%s rr=%s kind=%s source=%s", claim.id, rr.rr_number,
             claim.kind, claim.source)  # fmt: skip
    return claim, True


def _merge(
    claim: Claim,
    *,
    rr: RepairRequest,
    shipment: Shipment | None,
    signal: ClaimSignal,
    actor: str,
    now: datetime,
) -> None:
    details: dict[str, Any] = dict(claim.details or {})
    if claim.status in (ClaimStatus.OPEN, ClaimStatus.NOTIFIED):
        international = bool(shipment.international) if shipment else False
        file_by, sentence, _ = _deadline(shipment, signal, international=international, now=now)
        claim.file_by, claim.deadline_rule = file_by, sentence
    key = _signal_key(signal)
    if key in details.get("signals", []):
        return
    was_review = bool(details.get("review_required"))
    kind = merged_kind(
        claim.kind, signal.kind, current_review=was_review, signal_review=signal.review,
        follow_up=signal.source == claim.source,
    )  # fmt: skip
    if kind != claim.kind:
        claim.kind = kind
        claim.evidence = list(evidence_checklist(kind))  # type: ignore[arg-type]
    details["review_required"] = was_review and signal.review
    details["signals"] = [*details.get("signals", []), key]
    claim.details = details
    claim.notes = [*(claim.notes or []), _note(now, actor, signal.note)]
    claim.updated_at = now
    log.info("claim.updated id=%s rr=%s signal=%s", claim.id, rr.rr_number, key)


def _note(now: datetime, actor: str, text: str) -> dict[str, str]:
    return {"at": now.isoformat(), "by": actor, "note": text}


def _announce(session: Session, rr: RepairRequest, claim: Claim) -> None:
    """Tell the filer who files, by when and with what (not for flags still under review)."""
    if claim.details.get("review_required"):
        return
    notify(
        session, rr=rr, kind="claim_opened", discriminator=claim.id,
        context={
            "claim_id": claim.id, "kind": claim.kind, "filer": claim.filer,
            "carrier": display_name(claim.carrier, unknown=""),
            "file_by": claim.file_by.isoformat(),
            "deadline_rule": claim.deadline_rule, "evidence": list(claim.evidence),
            "filer_reason": str(claim.details.get("filer_reason", "")),
        },
    )  # fmt: skip


# Staff queue -----------------------------------------------------------------------------------

_STATUSES = frozenset(s.value for s in ClaimStatus)


def list_claims(
    session: Session, *, status: str | None, carrier: str | None, limit: int = 200
) -> list[tuple[Claim, str]]:
    """The claims queue, earliest deadline first."""
    if status is not None and status not in _STATUSES:
        raise invalid("status", f"unknown claim status '{status}'; one of {', '.join(_STATUSES)}")
    return repo.list_claims(session, status=status, carrier=carrier, limit=limit)


def get_claim(session: Session, claim_id: str, *, lock: bool = False) -> Claim:
    """The claim or a 404 naming it."""
    claim = repo.get(session, claim_id, lock=lock)
    if claim is None:
        raise NotFoundError(f"Claim {claim_id} does not exist.", claim_id=claim_id)
    return claim


def change_status(
    session: Session, *, claim_id: str, target: str, note: str, actor: str, now: datetime
) -> Claim:
    """Move a claim open → notified → filed → closed (409 naming the allowed moves)."""
    claim = get_claim(session, claim_id, lock=True)
    try:
        check_claim_transition(claim.status, target)
    except TransitionError as exc:
        raise ConflictError(str(exc), current=claim.status, allowed=exc.allowed) from exc
    except RuleError as exc:
        raise invalid(exc.field or "status", str(exc)) from exc
    _move(claim, target, now=now, actor=actor, note=note or f"Moved to {target}.")
    return claim


def _move(claim: Claim, target: str, *, now: datetime, actor: str, note: str) -> None:
    claim.status = target
    claim.notes = [*(claim.notes or []), _note(now, actor, note)]
    claim.updated_at = now


def mark_notified(session: Session, *, claim_id: str, now: datetime) -> None:
    """The filer was emailed: an open claim becomes notified."""
    claim = repo.get(session, claim_id, lock=True)
    if claim is not None and claim.status == ClaimStatus.OPEN:
        note = f"The {claim.filer} was emailed who files, by when and with what evidence."
        _move(claim, ClaimStatus.NOTIFIED.value, now=now, actor="system", note=note)


def expire_due(session: Session, *, today: date, now: datetime, limit: int = 500) -> int:
    """Mark unfiled claims past their carrier deadline as expired; returns how many."""
    count = 0
    for claim in repo.unfiled_due_before(session, today, limit=limit):
        decision = expire_decision(claim.status, claim.file_by, today)
        if decision is None:
            continue
        _move(claim, ClaimStatus.EXPIRED.value, now=now, actor="system", note=decision.reason)
        log.info("claim.expired id=%s file_by=%s", claim.id, claim.file_by.isoformat())
        count += 1
    return count


def claims_for_rr(session: Session, rr: RepairRequest) -> Sequence[Claim]:
    """Every claim of one RR, oldest first."""
    return repo.for_rr(session, rr.id)


def rr_number_of(session: Session, claim: Claim) -> str:
    """The RR number a claim belongs to."""
    return repo.rr_number_of(session, claim)
