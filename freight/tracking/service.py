"""Tracking use cases: register inbound tracking, apply carrier updates, poll. Never commits."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from carriers.errors import CarrierError
from carriers.types import Incident, TrackingInfo
from freight.carrier_registry import normalize_carrier
from freight.claims.rules import incident_claim
from freight.claims.service import ClaimSignal, flag
from freight.errors import ConflictError, invalid
from freight.jobs.registry import JobContext
from freight.jobs.service import enqueue
from freight.notifications.service import notify
from freight.policy import terms_policy
from freight.repairs.lifecycle import move
from freight.repairs.models import RepairRequest
from freight.repairs.rules import AWAITING_UNIT, RRStatus, can_transition
from freight.rules import RuleError
from freight.settings import Settings
from freight.shipments.models import Shipment, TrackingEvent
from freight.terms.rules import decide_terms
from freight.tracking import repository as repo
from freight.tracking.rules import (
    CarrierEvent,
    carrier_event,
    check_tracking,
    first_scan_decision,
    is_carrier_scan,
    merge_events,
    normalize_tracking_number,
    tracking_state,
)

log = logging.getLogger("freight.tracking")
SUBSCRIBE_TASK = "tracking.subscribe"


def register_inbound(
    session: Session,
    *,
    rr: RepairRequest,
    carrier: str,
    tracking_number: str,
    actor: str,
    now: datetime,
    settings: Settings,
) -> tuple[Shipment, bool]:
    """Record the customer's inbound tracking (P-INBOUND) and queue the carrier subscription.

    Returns (shipment, created); the same number again on the same RR returns the existing one.
    """
    try:
        token, number = check_tracking(carrier, tracking_number)
    except RuleError as exc:
        raise invalid(exc.field or "tracking_number", str(exc)) from exc
    existing = repo.by_tracking(session, token, number)
    if existing is not None:
        if existing.rr_id == rr.id:
            return existing, False
        raise ConflictError(
            f"Tracking number {number} ({token}) is already registered on another Repair Request.",
            field="tracking_number",
        )
    if rr.status not in AWAITING_UNIT:
        raise ConflictError(
            f"Repair Request {rr.rr_number} is '{rr.status}'; inbound tracking can only be added "
            "while it is issued or inbound_in_transit.",
            current=rr.status,
        )
    terms = decide_terms(
        direction="inbound", country=rr.return_address.get("country", "US"),
        purpose="customer_inbound", policy=terms_policy(settings),
    )  # fmt: skip
    shipment = Shipment(
        rr_id=rr.id, direction="inbound", purpose="customer_inbound", state="registered",
        carrier=token, tracking_number=number, status="UNKNOWN",
        freight_terms=terms.as_json(), details={"registered_by": actor},
        international=rr.return_address.get("country", "US") != settings.depot_country,
        created_at=now, updated_at=now,
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(shipment)
            session.flush()
    except IntegrityError as exc:  # a concurrent registration of the same number won
        raise ConflictError(
            f"Tracking number {number} ({token}) is already registered.", field="tracking_number"
        ) from exc
    enqueue(
        session, task=SUBSCRIBE_TASK, args={"shipment_id": shipment.id},
        key=f"subscribe:{shipment.id}",
    )  # fmt: skip
    log.info("tracking.inbound.registered rr=%s carrier=%s number=%s", rr.rr_number, token, number)
    return shipment, True


def find_shipment(session: Session, carrier: str, tracking_number: str) -> Shipment | None:
    """The shipment a carrier update is about (exact, then normalized, then by number alone)."""
    found = repo.by_tracking(session, carrier, tracking_number, lock=True)
    if found is None:
        found = repo.by_tracking(
            session, normalize_carrier(carrier), normalize_tracking_number(tracking_number),
            lock=True,
        )  # fmt: skip
    if found is None:
        candidates = repo.by_number_only(session, tracking_number)
        if len(candidates) == 1:
            found = repo.get_shipment(session, candidates[0].id, lock=True)
    return found


def apply_tracking_update(
    session: Session, ctx: JobContext, info: TrackingInfo, source: str
) -> None:
    """Apply one carrier tracking state (webhook or poll), in any order, any number of times:
    the history and the state it gives are the same (freight.tracking.rules T-*)."""
    shipment = find_shipment(session, info.carrier, info.tracking_number)
    if shipment is None:
        log.info("tracking.update.ignored carrier=%s number=%s source=%s (no such shipment)",
                 info.carrier, info.tracking_number, source)  # fmt: skip
        return
    rr = repo.rr_of(session, shipment, lock=True)
    was_delivered = shipment.status == "DELIVERED" and shipment.delivered_at is not None
    history, added = _store_events(session, shipment, info)
    _update_state(shipment, rr, info, history, now=ctx.now)
    if shipment.direction == "inbound":
        _inbound_progress(session, rr, shipment, actor=f"carrier:{source}", now=ctx.now)
    if not was_delivered:
        _delivery(session, rr, shipment, actor=f"carrier:{source}")
    if info.incident is not None:
        _incident(session, rr, shipment, info.incident, now=ctx.now, source=source)
    log.info("tracking.update.applied shipment=%s status=%s new_events=%d source=%s",
             shipment.id, shipment.status, added, source)  # fmt: skip


def stored_event(row: TrackingEvent) -> CarrierEvent:
    """A stored row as the pure core sees it."""
    return carrier_event(
        occurred_at=row.occurred_at, status=row.status, substatus_code=row.substatus_code,
        text=row.text, location=row.location,
    )  # fmt: skip


def _incoming(info: TrackingInfo) -> list[CarrierEvent]:
    """Every dated event of the update: its history, and its current status unless that only
    says the carrier knows nothing yet (re-dated on every look-up, it would pile up)."""
    current = [info.current] if info.current and info.current.status != "UNKNOWN" else []
    return [
        carrier_event(
            occurred_at=e.occurred_at,
            status=e.status,
            substatus_code=e.substatus.code if e.substatus else None,
            text=e.text,
            location=e.location,
        )
        for e in [*info.events, *current]
    ]


def _store_events(
    session: Session, shipment: Shipment, info: TrackingInfo
) -> tuple[list[CarrierEvent], int]:
    """T-DISTINCT: add the events not stored yet; (the whole history in T-ORDER, how many new)."""
    history, new = merge_events([stored_event(e) for e in shipment.events], _incoming(info))
    for event in new:
        shipment.events.append(
            TrackingEvent(
                status=event.status, substatus_code=event.substatus_code, text=event.text,
                location=event.location, occurred_at=event.occurred_at, event_key=event.key,
            )
        )  # fmt: skip
    if new:
        session.flush()
        session.expire(shipment, ["events"])  # reloaded in T-ORDER when next read
    return history, len(new)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def _substatus(info: TrackingInfo, newest: CarrierEvent) -> dict[str, object] | None:
    current = info.current
    if info.substatus and current is not None and current.occurred_at == newest.occurred_at:
        sub = info.substatus  # the carrier's current status is the newest event: its full detail
        return {"code": sub.code, "text": sub.text, "action_required": sub.action_required}
    if newest.substatus_code is None:
        return None
    return {"code": newest.substatus_code, "text": newest.text, "action_required": False}


def _update_state(
    shipment: Shipment, rr: RepairRequest, info: TrackingInfo, history: list[CarrierEvent],
    *, now: datetime,
) -> None:  # fmt: skip
    state = tracking_state(history, issued_at=rr.issued_at)
    if state.newest is not None:  # T-NEWEST
        shipment.status = state.status or shipment.status
        shipment.substatus = _substatus(info, state.newest)
    elif info.status != "UNKNOWN" or shipment.status == "UNKNOWN":
        # no dated event at all: the carrier's word is all there is
        shipment.status = info.status
        shipment.substatus = (
            {"code": info.substatus.code, "text": info.substatus.text,
             "action_required": info.substatus.action_required}
            if info.substatus else None
        )  # fmt: skip
    if info.eta is not None:
        shipment.eta = info.eta
    first_scan = state.first_scan_at
    if first_scan is None and not history and is_carrier_scan(shipment.status):
        first_scan = _utc(now)  # a scanned status with no dated history: the scan is now
    if first_scan is not None and (
        shipment.first_scan_at is None or first_scan < shipment.first_scan_at
    ):
        shipment.first_scan_at = first_scan
    if state.delivered_at is not None:  # T-CARRIER-TIME
        shipment.delivered_at = state.delivered_at
    elif shipment.status == "DELIVERED" and shipment.delivered_at is None:
        shipment.delivered_at = _utc(now)  # delivered, and the carrier dated nothing
    shipment.last_tracking_at = now
    shipment.updated_at = now


def _inbound_progress(
    session: Session, rr: RepairRequest, shipment: Shipment, *, actor: str, now: datetime
) -> None:
    """P-30DAY: the first carrier scan before the deadline satisfies the window."""
    scan = shipment.first_scan_at
    if scan is None:
        return
    if rr.first_carrier_scan_at is None or scan < rr.first_carrier_scan_at:
        rr.first_carrier_scan_at = scan
    if rr.status != RRStatus.ISSUED:
        return
    decision = first_scan_decision(scan_at=scan, inbound_deadline=rr.inbound_deadline)
    if decision is None:
        log.warning("tracking.scan.late rr=%s scan=%s deadline=%s", rr.rr_number,
                    scan.isoformat(), rr.inbound_deadline.isoformat())  # fmt: skip
        return
    move(session, rr, RRStatus.INBOUND_IN_TRANSIT, actor=actor, at=now, rule=decision.rule,
        note=f"{decision.reason} ({shipment.carrier} {shipment.tracking_number}, scanned "
        f"{scan.isoformat()})",
    )  # fmt: skip


def _delivery(session: Session, rr: RepairRequest, shipment: Shipment, *, actor: str) -> None:
    """The RR follows its outbound shipment's delivery (once: history and notice are keyed)."""
    if shipment.status != "DELIVERED" or shipment.delivered_at is None:
        return
    if shipment.direction != "outbound":
        log.info("tracking.inbound.delivered rr=%s shipment=%s", rr.rr_number, shipment.id)
        return
    if rr.status == RRStatus.SHIPPED and can_transition(rr.status, RRStatus.DELIVERED):
        move(session, rr, RRStatus.DELIVERED, actor=actor, at=shipment.delivered_at,
            note=f"Delivered ({shipment.carrier} {shipment.tracking_number})",
        )  # fmt: skip
    notify(
        session, rr=rr, kind="delivered", discriminator=shipment.id,
        context={"delivered_on": shipment.delivered_at.date().isoformat(),
                 "tracking_number": shipment.tracking_number or ""},
    )  # fmt: skip


def _incident(
    session: Session, rr: RepairRequest, shipment: Shipment, incident: Incident, *,
    now: datetime, source: str,
) -> None:  # fmt: skip
    mapped = incident_claim(incident.kind)
    if mapped is None:
        return
    signal = ClaimSignal(
        source="carrier_event", kind=mapped.kind, review=mapped.review,
        note=f"{mapped.note} Carrier says: {incident.reason}".strip(),
        code=incident.code or incident.kind,
    )  # fmt: skip
    flag(session, rr=rr, shipment=shipment, signal=signal, actor=f"carrier:{source}", now=now)


# Subscription and polling ---------------------------------------------------------------------


def subscribe(session: Session, ctx: JobContext, *, shipment_id: str) -> None:
    """Ask the carrier for track_updated webhooks; polling covers us if it refuses."""
    shipment = repo.get_shipment(session, shipment_id)
    if shipment is None or not shipment.tracking_number or not shipment.carrier:
        return
    rr = repo.rr_of(session, shipment)
    try:
        info = ctx.carrier.subscribe_tracking(
            shipment.carrier, shipment.tracking_number,
            metadata=f"rr={rr.rr_number};shipment={shipment.id}",
        )  # fmt: skip
    except CarrierError as exc:
        if exc.retryable:
            raise  # the runner retries
        log.warning("tracking.subscribe.refused shipment=%s error=%s", shipment.id, exc)
        shipment.details = {**(shipment.details or {}), "subscribe_error": str(exc)[:500]}
        return
    shipment.details = {**(shipment.details or {}), "subscribed_at": ctx.now.isoformat()}
    apply_tracking_update(session, ctx, info, source="subscribe")


def poll(session: Session, ctx: JobContext, *, limit: int | None = None) -> int:
    """Refresh trackers quiet for longer than tracking_quiet_minutes; returns how many."""
    settings = ctx.settings
    quiet_before = ctx.now - timedelta(minutes=settings.tracking_quiet_minutes)
    batch = repo.due_for_poll(
        session, quiet_before=quiet_before, limit=limit or settings.tracking_poll_batch
    )
    done = 0
    for shipment in batch:
        carrier, number = shipment.carrier or "", shipment.tracking_number or ""
        try:
            info = ctx.carrier.get_tracking(carrier, number)
            with session.begin_nested():
                apply_tracking_update(session, ctx, info, source="poll")
            done += 1
        except CarrierError as exc:
            log.warning("tracking.poll.failed shipment=%s error=%s", shipment.id, exc)
            shipment.last_tracking_at = ctx.now  # try again after the next quiet period
    return done
