"""Audit use cases: record an entry in the caller's transaction; list the trail."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from freight.audit import repository as repo
from freight.audit.models import AuditEntry
from freight.errors import invalid
from freight.limits import ROW_ID_MAX

Outcome = Literal["succeeded", "failed", "refused", "locked"]


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    outcome: Outcome,
    at: datetime,
    role: str | None = None,
    target: str | None = None,
    status_code: int | None = None,
    request_id: str | None = None,
    detail: str | None = None,
) -> None:
    """Add one entry to the session: it commits (or rolls back) with the change it describes."""
    repo.add(
        session,
        AuditEntry(
            at=at, actor=actor[:320], role=role, action=action[:200],
            target=target[:300] if target else None, outcome=outcome, status_code=status_code,
            request_id=request_id, detail=detail[:500] if detail else None,
        ),
    )  # fmt: skip


def outcome_for(status_code: int) -> Outcome:
    """A request's outcome from its HTTP status: refused by auth, failed, or succeeded."""
    if status_code < 400:
        return "succeeded"
    if status_code in (401, 403):
        return "refused"
    return "failed"


@dataclass(frozen=True)
class Page:
    items: Sequence[AuditEntry]
    next_cursor: str | None


def list_entries(
    session: Session,
    *,
    actor: str | None,
    action: str | None,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    cursor: str | None,
) -> Page:
    """A page of the trail, newest first; the cursor is opaque to callers."""
    before = _decode_cursor(cursor) if cursor else None
    rows = repo.page(
        session, actor=actor, action=action, start=start, end=end, before_id=before,
        limit=limit + 1,
    )  # fmt: skip
    items = rows[:limit]
    more = len(rows) > limit
    return Page(items=items, next_cursor=_encode_cursor(items[-1].id) if more and items else None)


# Any value of this shape is a position in the trail (the entries older than it), so the OpenAPI
# pattern describes every cursor the API accepts.
CURSOR_PATTERN = r"^a[0-9a-f]{1,15}$"


def _encode_cursor(entry_id: int) -> str:
    return f"a{entry_id:x}"


def _decode_cursor(cursor: str) -> int:
    if re.fullmatch(CURSOR_PATTERN, cursor) is None:
        raise invalid("cursor", "is not a cursor this API returned")
    return min(int(cursor[1:], 16), ROW_ID_MAX)
