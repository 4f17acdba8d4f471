"""A read model kept current on write (SPEC §11): one version per RR, changed in the same
transaction as every write that touches the RR or its shipments, events, quotes, payments,
claims, receipts or history; and a per-process cache of rendered answers keyed by
(view, RR, version), so a read costs one query while nothing changed.

The version is a fresh random number on every change (not a counter), so a database that was
emptied and refilled can never hand an old process a version it has already cached.

Staleness: every request reads the version from the database, so a write committed by any
process is seen on the next read. Answers that depend on the clock (the open quote expires) carry
the moment they stop being valid; any other time-dependent field is re-rendered after
`MAX_AGE` at most."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Table, bindparam, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column
from starlette.concurrency import run_in_threadpool

from freight.db import Base

MAX_AGE = timedelta(seconds=5)
_PENDING = "freight_read_versions"  # session.info key: RR ids changed in this transaction


class RRReadVersion(Base):
    __tablename__ = "rr_read_versions"

    rr_id: Mapped[int] = mapped_column(ForeignKey("repair_requests.id"), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


# Which RR a changed row belongs to: a column pointing at the RR, or at a row that does.
_PARENTS = {
    "shipments": "shipments",
    "quotes": "quotes",
    "payments": "payments",
    "claims": "claims",
}


def _links(table: Table) -> list[tuple[str, str]]:
    """(attribute, referenced table) for each foreign key that leads to an RR."""
    found = []
    for column in table.columns:
        for fk in column.foreign_keys:
            target = fk.column.table.name
            if target == "repair_requests" or target in _PARENTS:
                found.append((column.key, target))
    return found


_LINKS: dict[type[Any], list[tuple[str, str]]] = {}


def _rr_ids_of(session: Session, objects: list[Any]) -> set[int]:
    from freight.claims.models import Claim
    from freight.quotes.models import Payment, Quote
    from freight.repairs.models import RepairRequest
    from freight.shipments.models import Shipment

    parents: dict[str, Any] = {"shipments": Shipment, "quotes": Quote, "claims": Claim}
    rr_ids: set[int] = set()
    wanted: dict[str, set[Any]] = {"shipments": set(), "quotes": set(), "claims": set(),
                                   "payments": set()}  # fmt: skip
    for obj in objects:
        cls = type(obj)
        if cls is RRReadVersion:
            continue
        if cls is RepairRequest:
            if obj.id is not None:
                rr_ids.add(obj.id)
            continue
        links = _LINKS.get(cls)
        if links is None:
            table = getattr(cls, "__table__", None)
            links = _LINKS[cls] = _links(table) if isinstance(table, Table) else []
        for attr, target in links:
            value = getattr(obj, attr, None)
            if value is None:
                continue
            if target == "repair_requests":
                rr_ids.add(value)
            else:
                wanted[target].add(value)
    conn = session.connection()
    if wanted["payments"]:
        quote_ids = conn.execute(
            select(Payment.quote_id).where(Payment.id.in_(wanted["payments"]))
        ).scalars()
        wanted["quotes"].update(quote_ids)
    for name, model in parents.items():
        if wanted[name]:
            rows = conn.execute(select(model.rr_id).where(model.id.in_(wanted[name])))
            rr_ids.update(r for r in rows.scalars() if r is not None)
    return rr_ids


def _after_flush(session: Session, _context: Any) -> None:
    changed = [o for o in session.dirty if session.is_modified(o, include_collections=False)]
    objects = [*session.new, *changed, *session.deleted]
    if objects:
        session.info.setdefault(_PENDING, set()).update(_rr_ids_of(session, objects))


def _before_commit(session: Session) -> None:
    session.flush()  # so every change of this transaction has been seen by _after_flush
    pending: set[int] = session.info.pop(_PENDING, set())
    if not pending:
        return
    bind = session.connection()
    insert = pg_insert if bind.dialect.name == "postgresql" else sqlite_insert
    rows = [{"rr_id": rr_id, "version": secrets.randbits(62)} for rr_id in sorted(pending)]
    stmt = insert(RRReadVersion).values(rows)
    bind.execute(stmt.on_conflict_do_update(index_elements=["rr_id"],
                                            set_={"version": stmt.excluded.version}))  # fmt: skip


def _after_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the whole transaction ended (committed or rolled back)
        session.info.pop(_PENDING, None)


def install() -> None:
    """Every session of this process keeps the versions current (freight.wiring.install calls
    this in the API, the worker, the CLI and the tests: a process that writes without it would
    leave the other processes' cached answers stale)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_transaction_end", _after_transaction_end)


def current(session: Session, rr_number: str) -> tuple[int, int] | None:
    """(RR id, version) in one query, or None when the RR does not exist."""
    stmt = _current_statement() if _CURRENT is None else _CURRENT
    found = session.connection().execute(stmt, {"number": rr_number.strip().upper()}).first()
    if found is None:
        return None
    return int(found[0]), int(found[1] or 0)


_CURRENT: Any = None  # built once: building a statement costs more than running this one


def _current_statement() -> Any:
    global _CURRENT
    from freight.repairs.models import RepairRequest

    _CURRENT = (
        select(RepairRequest.id, RRReadVersion.version)
        .outerjoin(RRReadVersion, RRReadVersion.rr_id == RepairRequest.id)
        .where(RepairRequest.rr_number == bindparam("number"))
    )
    return _CURRENT


@dataclass(frozen=True)
class Rendered:
    body: bytes
    etag: str
    version: int
    valid_from: datetime
    valid_until: datetime

    def fresh(self, version: int, now: datetime) -> bool:
        return self.version == version and self.valid_from <= now < self.valid_until


class ReadCache:
    """Rendered answers of this process, at most `size` (view, RR) pairs, least recent out."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str], Rendered] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str], version: int, now: datetime) -> Rendered | None:
        found = self._items.get(key)
        if found is None or not found.fresh(version, now):
            return None
        return found

    def put(self, key: tuple[str, str], value: Rendered) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


Render = Callable[[], tuple[bytes, datetime | None]]


async def cached(
    cache: ReadCache, session: Session, *, view: str, rr_number: str, now: datetime,
    render: Render, etag_of: Callable[[bytes], str],
) -> Rendered | None:  # fmt: skip
    """The answer for this RR and view: from the cache while the RR's version (read now) is
    the one it was rendered at, else rendered and kept. None when the RR does not exist."""
    found = current(session, rr_number)
    if found is None:
        return None
    key = (view, rr_number.strip().upper())
    hit = cache.get(key, found[1], now)
    if hit is not None:
        return hit
    body, until = await run_in_threadpool(render)  # a miss renders off the event loop
    limit = now + MAX_AGE
    entry = Rendered(body, etag_of(body), found[1], now, min(until, limit) if until else limit)
    cache.put(key, entry)
    return entry
