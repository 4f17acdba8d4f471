"""End-of-day use cases: close a carrier's day into a manifest, book a pickup, the day's summary.
Never commits. The carrier is called only from the jobs (`closeout.create_manifest`,
`closeout.book_pickup`), enqueued in the request's transaction (outbox):
- the labels of a manifest are chosen and recorded (manifest_labels, unique per label) when it
  is asked for, so a label bought afterwards waits for the next manifest;
- a rerun of the manifest job looks the carrier's manifests up first (same account, day and
  labels) before creating one, so a lost answer never makes a second manifest;
- one pickup per carrier and day (unique row); its job carries the metadata `pickup:<id>`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.orm import Session

from carriers.errors import CarrierError, CarrierRejected
from carriers.types import Manifest as CarrierManifest
from freight.closeout import repository as repo
from freight.closeout import rules
from freight.closeout.models import Manifest, Pickup
from freight.closeout.schemas import CarrierDay, EndOfDayOut, LabelLine, manifest_out, pickup_out
from freight.depot import depot_address
from freight.errors import ConflictError, NotFoundError, invalid
from freight.jobs.registry import JobContext
from freight.jobs.service import enqueue
from freight.policy import business_calendar
from freight.repairs.models import RepairRequest
from freight.rules import RuleError
from freight.settings import Settings
from freight.shipments.models import Shipment

log = logging.getLogger("freight.closeout")
CREATE_MANIFEST, BOOK_PICKUP = "closeout.create_manifest", "closeout.book_pickup"


def _refuse(exc: RuleError) -> Exception:
    return invalid(exc.field or "body", str(exc))


def _account(shipments: Sequence[Shipment]) -> str | None:
    for shipment in shipments:
        account = ((shipment.details or {}).get("rate") or {}).get("carrier_account")
        if account:
            return str(account)
    return None


def close_day(
    session: Session, *, carrier: str, ship_date: date, now: datetime, settings: Settings
) -> Manifest:
    """M-DATE, M-EMPTY: record a manifest of the carrier's labels of that day not yet in one."""
    calendar = business_calendar(settings)
    try:
        rules.check_ship_date(ship_date, today=calendar.local_date(now))
    except RuleError as exc:
        raise _refuse(exc) from exc
    start, end = rules.day_bounds(calendar, ship_date)
    labels = repo.labels_between(session, start, end, carrier=carrier)
    taken = repo.manifested_ids(session, [s.id for s in labels])
    waiting = [s for s in labels if s.id not in taken]
    try:
        rules.check_has_labels(len(waiting), carrier=carrier, ship_date=ship_date)
    except RuleError as exc:
        raise _refuse(exc) from exc
    manifest = Manifest(
        carrier=carrier, ship_date=ship_date, state="pending", carrier_account=_account(waiting),
        transaction_ids=[s.transaction_id for s in waiting], created_at=now,
    )  # fmt: skip
    session.add(manifest)
    session.flush()
    repo.add_labels(session, manifest, [s.id for s in waiting])
    enqueue(session, task=CREATE_MANIFEST, args={"manifest_id": manifest.id},
            key=f"manifest:{manifest.id}")  # fmt: skip
    log.info("closeout.manifest.requested", extra={"event": "closeout.manifest.requested",
             "manifest_id": manifest.id, "labels": len(waiting)})  # fmt: skip
    return manifest


def get_manifest(session: Session, manifest_id: str) -> Manifest:
    manifest = repo.get_manifest(session, manifest_id)
    if manifest is None:
        raise NotFoundError(f"Manifest {manifest_id} does not exist.", manifest_id=manifest_id)
    return manifest


def create_manifest(session: Session, ctx: JobContext, *, manifest_id: str) -> None:
    """Job: create (or, on a rerun, find) the carrier's manifest and keep its PDF."""
    manifest = repo.get_manifest(session, manifest_id, lock=True)
    if manifest is None or manifest.state != "pending":
        return
    if not manifest.carrier_account:
        _fail(session, manifest, "no carrier account is known for these labels")
        return
    ids = list(manifest.transaction_ids)
    found: CarrierManifest | None = None
    if ctx.attempt != 1:
        found = ctx.carrier.find_manifest(
            carrier_account=manifest.carrier_account, ship_date=manifest.ship_date,
            transaction_ids=ids,
        )  # fmt: skip
    try:
        made: CarrierManifest = found or ctx.carrier.create_manifest(
            carrier_account=manifest.carrier_account, ship_date=manifest.ship_date,
            transaction_ids=ids, address=depot_address(ctx.settings),
        )  # fmt: skip
    except CarrierRejected as exc:
        _fail(session, manifest, exc.carrier_message or exc.message)
        return
    manifest.carrier_manifest_id, manifest.state, manifest.closed_at = (
        made.manifest_id, "closed", ctx.now
    )  # fmt: skip
    manifest.document_url = made.documents[0] if made.documents else None
    try:
        manifest.document = ctx.carrier.get_manifest_file(made)
    except CarrierError as exc:  # the document can be fetched again later
        log.warning("closeout.manifest.document_missing", extra={"error": str(exc)})
    log.info("closeout.manifest.closed", extra={"event": "closeout.manifest.closed",
             "manifest_id": manifest.id})  # fmt: skip


def _fail(session: Session, manifest: Manifest, why: str) -> None:
    manifest.state, manifest.error = "failed", why[:500]
    repo.release_labels(session, manifest)


def book_pickup(
    session: Session,
    *,
    carrier: str,
    start: datetime,
    end: datetime,
    now: datetime,
    settings: Settings,
) -> tuple[Pickup, bool]:
    """P-HOURS: one pickup per carrier and day for that day's labels; (pickup, created)."""
    calendar = business_calendar(settings)
    try:
        window = rules.check_pickup_window(calendar, start=start, end=end, now=now)
    except RuleError as exc:
        raise _refuse(exc) from exc
    existing = repo.pickup_for(session, carrier, window.day, lock=True)
    if existing is not None and existing.state != "failed":
        return existing, False
    day_start, day_end = rules.day_bounds(calendar, window.day)
    labels = repo.labels_between(session, day_start, day_end, carrier=carrier)
    if not labels:
        raise invalid("carrier", f"no {carrier} labels ship on {window.day.isoformat()}")
    pickup = existing or Pickup(carrier=carrier, pickup_date=window.day, created_at=now)
    pickup.state, pickup.error = "pending", None
    pickup.requested_start, pickup.requested_end = window.start, window.end
    pickup.transaction_ids = [s.transaction_id for s in labels]
    pickup.carrier_account = _account(labels)
    if existing is None:
        session.add(pickup)
    session.flush()
    attempt = len(pickup.transaction_ids)  # a re-booking after a refusal is a new job
    enqueue(session, task=BOOK_PICKUP, args={"pickup_id": pickup.id},
            key=f"pickup:{pickup.id}:{pickup.requested_start.isoformat()}:{attempt}")  # fmt: skip
    return pickup, True


def get_pickup(session: Session, pickup_id: str) -> Pickup:
    pickup = repo.get_pickup(session, pickup_id)
    if pickup is None:
        raise NotFoundError(f"Pickup {pickup_id} does not exist.", pickup_id=pickup_id)
    return pickup


def run_pickup(session: Session, ctx: JobContext, *, pickup_id: str) -> None:
    """Job: book the pickup with the carrier (metadata `pickup:<id>` names it there)."""
    pickup = repo.get_pickup(session, pickup_id, lock=True)
    if pickup is None or pickup.state != "pending":
        return
    if not pickup.carrier_account:
        pickup.state, pickup.error = "failed", "no carrier account is known for these labels"
        return
    try:
        booked = ctx.carrier.create_pickup(
            carrier_account=pickup.carrier_account, transaction_ids=list(pickup.transaction_ids),
            start=pickup.requested_start, end=pickup.requested_end,
            address=depot_address(ctx.settings), metadata=f"pickup:{pickup.id}",
        )  # fmt: skip
    except CarrierRejected as exc:
        pickup.state, pickup.error = "failed", (exc.carrier_message or exc.message)[:500]
        return
    pickup.state, pickup.carrier_pickup_id = "confirmed", booked.pickup_id
    pickup.confirmation_code = booked.confirmation_code
    pickup.confirmed_start, pickup.confirmed_end = booked.start, booked.end


def manifest_file(session: Session, *, manifest_id: str) -> bytes:
    """The manifest PDF kept when it closed."""
    manifest = get_manifest(session, manifest_id)
    if manifest.document is None:
        raise ConflictError(
            f"Manifest {manifest_id} has no document yet ({manifest.state}).", state=manifest.state
        )
    return manifest.document


def day_summary(session: Session, *, day: date, settings: Settings) -> EndOfDayOut:
    """The console's end of day: each carrier's labels, what is manifested, the pickup."""
    calendar = business_calendar(settings)
    start, end = rules.day_bounds(calendar, day)
    labels = repo.labels_between(session, start, end)
    manifests = repo.manifests_of(session, day)
    pickups = {p.carrier: p for p in repo.pickups_of(session, day)}
    in_manifest = repo.manifest_of_labels(session, [s.id for s in labels])
    carriers = sorted({s.carrier or "" for s in labels} | {m.carrier for m in manifests}
                      | set(pickups))  # fmt: skip
    out = []
    for carrier in carriers:
        mine = [s for s in labels if s.carrier == carrier]
        lines = [
            LabelLine(
                shipment_id=s.id,
                rr_number=rr_repo_number(session, s),
                tracking_number=s.tracking_number,
                service=s.service,
                manifest_id=in_manifest.get(s.id),
            )  # fmt: skip
            for s in mine
        ]
        done = sum(1 for line in lines if line.manifest_id)
        out.append(CarrierDay(
            carrier=carrier, labels=lines, manifested=done, waiting=len(lines) - done,
            manifests=[manifest_out(m) for m in manifests if m.carrier == carrier],
            pickup=pickup_out(pickups[carrier]) if carrier in pickups else None,
        ))  # fmt: skip
    offset = start.astimezone(calendar.tz).strftime("%z")
    opens, closes = calendar.open.strftime("%H:%M"), calendar.close.strftime("%H:%M")
    return EndOfDayOut(
        date=day, timezone=calendar.timezone, utc_offset=f"{offset[:3]}:{offset[3:]}",
        business_hours=f"{opens}–{closes}" if calendar.is_working_day(day) else "closed",
        carriers=out,
    )  # fmt: skip


def rr_repo_number(session: Session, shipment: Shipment) -> str:
    rr = session.get(RepairRequest, shipment.rr_id)
    return rr.rr_number if rr is not None else ""
