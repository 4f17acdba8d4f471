"""The audit entry of an HTTP request that changes something, written by the request's session
dependency (freight.deps): in the request's own transaction when it succeeds, in a transaction
of its own when it fails (the change was rolled back; the attempt is still on record)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from freight.audit import service
from freight.auth.rules import SAFE_METHODS
from freight.auth.service import Principal
from freight.db import session_scope
from freight.errors import AppError
from freight.logs import current_context

log = logging.getLogger("freight.audit")
# POSTs that only compute an answer (no state changes): nothing to audit.
READ_ONLY = frozenset({"/api/v1/freight-terms"})


@dataclass
class AuditNote:
    """What a route adds to its audit entry: the target it created (`POST /repair-requests`
    has no RR number in its path)."""

    target: str | None = None


def note(request: Request) -> AuditNote:
    found = getattr(request.state, "audit_note", None)
    if not isinstance(found, AuditNote):
        found = request.state.audit_note = AuditNote()
    return found


def _caller(request: Request) -> Principal | None:
    principal = getattr(request.state, "principal", None)
    if request.method in SAFE_METHODS or not isinstance(principal, Principal):
        return None
    route = request.scope.get("route")
    if getattr(route, "path", None) in READ_ONLY:
        return None
    return principal


def _write(
    session: Session, request: Request, principal: Principal, status: int, *,
    detail: str | None, now: datetime,
) -> None:  # fmt: skip
    route = request.scope.get("route")
    template = getattr(route, "path", request.url.path)
    params = request.path_params
    target = note(request).target or (", ".join(str(v) for v in params.values()) or None)
    service.record(
        session, actor=principal.actor, role=principal.role, action=f"{request.method} {template}",
        target=target, outcome=service.outcome_for(status), status_code=status,
        request_id=current_context().get("request_id"), at=now, detail=detail,
    )  # fmt: skip


def record_success(session: Session, request: Request, *, now: datetime) -> None:
    """Before the request's commit: its entry joins the same transaction."""
    principal = _caller(request)
    if principal is None:
        return
    status = getattr(request.scope.get("route"), "status_code", None) or 200
    _write(session, request, principal, status, detail=None, now=now)


def record_failure(request: Request, exc: BaseException, *, now: datetime) -> None:
    """After the request's rollback: the refused or failed attempt, in its own transaction."""
    principal = _caller(request)
    if principal is None or not isinstance(exc, Exception):
        return
    status, detail = _status(exc)
    try:
        with session_scope(request.app.state.session_factory) as session:
            _write(session, request, principal, status, detail=detail, now=now)
    except Exception:
        log.exception("audit.record_failed")


def _status(exc: Exception) -> tuple[int, str]:
    if isinstance(exc, AppError):
        return exc.status, exc.detail
    if isinstance(exc, RequestValidationError):
        fields = {".".join(str(p) for p in e.get("loc", ())[1:]) for e in exc.errors()}
        return 422, "invalid: " + ", ".join(sorted(f for f in fields if f))
    if isinstance(exc, HTTPException):
        return exc.status_code, str(exc.detail)
    return 500, exc.__class__.__name__
