"""FastAPI dependencies: settings, one session per request, the caller, the clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import inspect
from sqlalchemy.orm import Session, sessionmaker

from freight.audit.http import AuditNote, note, record_failure, record_success
from freight.auth.rules import CSRF_HEADER, SESSION_COOKIE, csrf_problem, read_customer_token
from freight.auth.service import Principal, authenticate, session_principal
from freight.clock import utc_now
from freight.db import session_scope
from freight.errors import AppError, FieldError, ForbiddenError, UnauthorizedError
from freight.settings import Settings


# Trivial dependencies are coroutines: FastAPI runs a plain function in the threadpool, which
# costs more than the function itself.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_now() -> datetime:
    return utc_now()


SettingsDep = Annotated[Settings, Depends(get_settings)]
NowDep = Annotated[datetime, Depends(get_now)]


def get_session(request: Request, now: NowDep) -> Iterator[Session]:
    """One unit of work per request: committed before the response is sent, else rolled back.
    A request that changes something is audited in the same transaction (freight.audit.http).
    GET and HEAD read in a session that never takes the write lock (freight.db.read_factory)."""
    read = request.method in READ_METHODS
    factory = request.app.state.read_session_factory if read else request.app.state.session_factory
    session: Session = factory()
    try:
        yield session
        if read:
            _end_read(session, request.app.state.session_factory)
        else:
            record_success(session, request, now=now)
            session.commit()
    except BaseException as exc:
        session.rollback()
        record_failure(request, exc, now=now)
        raise
    finally:
        session.close()


READ_METHODS = frozenset({"GET", "HEAD"})


def _end_read(session: Session, writer: sessionmaker[Session]) -> None:
    """End a read-only request's transaction. A change it left pending (a session cookie's
    sliding last-seen) is written in a write transaction of its own, and only the attributes it
    changed: a concurrent change to the same row (a sign-out) is kept."""
    if not (session.dirty or session.new or session.deleted):
        session.commit()  # ends the read snapshot; nothing is written
        return
    updates: list[tuple[type[Any], Any, dict[str, Any]]] = []
    for obj in list(session.dirty):
        state = inspect(obj)
        changed = {
            attr.key: state.attrs[attr.key].history.added[0]
            for attr in state.mapper.column_attrs
            if state.attrs[attr.key].history.added
        }
        if changed:
            updates.append((type(obj), state.identity, changed))
        session.expire(obj)  # drop the pending change from the read transaction
    added, deleted = list(session.new), [(type(o), inspect(o).identity) for o in session.deleted]
    for obj in added + list(session.deleted):
        session.expunge(obj)
    session.commit()
    with session_scope(writer) as write:
        for cls, identity, changed in updates:
            row = write.get(cls, identity)
            if row is not None:
                for key, value in changed.items():
                    setattr(row, key, value)
        for obj in added:
            write.add(obj)
        for cls, identity in deleted:
            row = write.get(cls, identity)
            if row is not None:
                write.delete(row)


# scope="function": the commit runs before the response is sent, so a 2xx always means committed
# (FastAPI's default for yield dependencies tears down after the response).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
# What a route adds to its request's audit entry (e.g. the RR number a POST created).
AuditDep = Annotated[AuditNote, Depends(note)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class CsrfError(AppError):
    def __init__(self, detail: str) -> None:
        super().__init__(
            detail, 403, "CSRF token missing or wrong", "https://rr-freight.example/problems/csrf",
            [FieldError(CSRF_HEADER, detail)],
        )  # fmt: skip


def get_principal(
    request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Principal:
    """The caller: a bearer token (staff-side or RR-scoped customer), else the session cookie
    (which must bring its CSRF token on unsafe requests); 401 otherwise."""
    token = _bearer(request)
    if token is None:
        principal = _cookie_principal(request, session, settings, now)
    elif token.startswith("cust."):
        principal = _customer(token, settings, now)
    else:
        found = authenticate(session, token=token)
        if found is None:
            raise UnauthorizedError("The bearer token is not valid.")
        principal = found
    request.state.principal = principal
    return principal


def _cookie_principal(
    request: Request, session: Session, settings: Settings, now: datetime
) -> Principal:
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        raise UnauthorizedError(
            "Sign in at /login, or send Authorization: Bearer <token> (scripts)."
        )
    principal = session_principal(session, session_id=session_id, now=now, settings=settings)
    if principal is None:
        raise UnauthorizedError(
            "Your session has ended (signed out, idle too long, or the account was disabled); "
            "sign in again at /login."
        )
    problem = csrf_problem(
        method=request.method, sent=request.headers.get(CSRF_HEADER),
        expected=principal.csrf_token or "",
    )  # fmt: skip
    if problem is not None:
        request.state.principal = principal  # the refusal is audited under the user's name
        raise CsrfError(problem)
    return principal


def _customer(token: str, settings: Settings, now: datetime) -> Principal:
    claims = read_customer_token(token, secret=settings.secret_key, now=now)
    if claims is None:
        raise UnauthorizedError(
            "The tracking token is invalid or has expired; look the RR up again."
        )
    return Principal(
        kind="customer", name=f"customer:{claims.rr_number}", rr_number=claims.rr_number
    )


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_role(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency admitting the given roles (admin is admitted everywhere)."""

    def check(principal: PrincipalDep) -> Principal:
        if not principal.staff_side or (principal.role not in roles and principal.role != "admin"):
            who = principal.role or "customer"
            caller = "you are signed in as" if principal.kind == "user" else "the token is"
            raise ForbiddenError(f"This call needs the {' or '.join(roles)} role; {caller} {who}.")
        return principal

    return check


StaffDep = Annotated[Principal, Depends(require_role("staff"))]
FinanceDep = Annotated[Principal, Depends(require_role("finance"))]
AdminDep = Annotated[Principal, Depends(require_role("admin"))]


def rr_access(principal: Principal, rr_number: str) -> None:
    """Staff see every RR; a customer token sees only its own RR (others look like 404 via 403)."""
    if principal.staff_side and principal.role in ("staff", "admin"):
        return
    if principal.kind == "customer" and principal.rr_number == rr_number.strip().upper():
        return
    raise ForbiddenError("This token does not give access to that Repair Request.")
