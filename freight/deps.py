"""FastAPI dependencies: settings, one session per request, the caller, the clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from freight.auth.rules import read_customer_token
from freight.auth.service import Principal, authenticate
from freight.clock import utc_now
from freight.errors import ForbiddenError, UnauthorizedError
from freight.settings import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: committed before the response is sent, else rolled back."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_now() -> datetime:
    return utc_now()


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": the commit runs before the response is sent, so a 2xx always means committed
# (FastAPI's default for yield dependencies tears down after the response).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
NowDep = Annotated[datetime, Depends(get_now)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def get_principal(
    request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Principal:
    """The caller: a staff/finance/admin token or an RR-scoped customer token; 401 otherwise."""
    token = _bearer(request)
    if token is None:
        raise UnauthorizedError()
    if token.startswith("cust."):
        claims = read_customer_token(token, secret=settings.secret_key, now=now)
        if claims is None:
            raise UnauthorizedError(
                "The tracking token is invalid or has expired; look the RR up again."
            )
        return Principal(
            kind="customer", name=f"customer:{claims.rr_number}", rr_number=claims.rr_number
        )
    principal = authenticate(session, token=token)
    if principal is None:
        raise UnauthorizedError("The bearer token is not valid.")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_role(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency admitting the given roles (admin is admitted everywhere)."""

    def check(principal: PrincipalDep) -> Principal:
        if principal.kind != "token" or (principal.role not in roles and principal.role != "admin"):
            who = principal.role or "customer"
            raise ForbiddenError(
                f"This call needs the {' or '.join(roles)} role; the token is {who}."
            )
        return principal

    return check


StaffDep = Annotated[Principal, Depends(require_role("staff"))]
FinanceDep = Annotated[Principal, Depends(require_role("finance"))]
AdminDep = Annotated[Principal, Depends(require_role("admin"))]


def rr_access(principal: Principal, rr_number: str) -> None:
    """Staff see every RR; a customer token sees only its own RR (others look like 404 via 403)."""
    if principal.kind == "token" and principal.role in ("staff", "admin"):
        return
    if principal.kind == "customer" and principal.rr_number == rr_number.strip().upper():
        return
    raise ForbiddenError("This token does not give access to that Repair Request.")
