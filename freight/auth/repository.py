"""Every auth query lives here: accounts, sessions, API tokens, sign-in attempts."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from freight.audit.models import AuditEntry
from freight.auth.models import ApiToken, User, UserSession

SIGN_IN = "session.sign_in"


# Accounts ------------------------------------------------------------------------------------


def user_by_email(session: Session, email: str, *, lock: bool = False) -> User | None:
    stmt = select(User).where(User.email == email)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def user_by_link(session: Session, link_hash: str) -> User | None:
    return session.scalar(
        select(User).where(User.password_link_hash == link_hash).with_for_update()
    )


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.email)).all()


def add_user(session: Session, user: User) -> User:
    session.add(user)
    session.flush()
    return user


# Sessions ------------------------------------------------------------------------------------


def add_session(session: Session, row: UserSession) -> UserSession:
    session.add(row)
    session.flush()
    return row


def session_with_user(session: Session, id_hash: str) -> tuple[UserSession, User] | None:
    row = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.id_hash == id_hash)
    ).first()
    return (row[0], row[1]) if row is not None else None


def end_sessions(session: Session, *, user_id: int, at: datetime, reason: str) -> int:
    """End every live session of a user; how many were live."""
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=at, ended_reason=reason)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def live_session_counts(session: Session, *, since: datetime) -> dict[int, int]:
    """Per user: sessions not ended and seen after `since` (the idle cut-off)."""
    rows = session.execute(
        select(UserSession.user_id, func.count())
        .where(UserSession.ended_at.is_(None), UserSession.last_seen_at > since)
        .group_by(UserSession.user_id)
    ).all()
    return {int(user_id): int(count) for user_id, count in rows}


# Sign-in attempts (kept in the audit trail, one source for both) -----------------------------


def lock_sign_in(session: Session, email: str) -> None:
    """Serialize sign-ins for one email until commit, so parallel guesses cannot overrun the
    lockout count. SQLite transactions already take the write lock at BEGIN (freight.db)."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(email.encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def sign_in_attempts(session: Session, *, email: str, since: datetime) -> Sequence[AuditEntry]:
    """Successes and failures for an email since a moment (lock refusals are not attempts)."""
    return session.scalars(
        select(AuditEntry).where(
            AuditEntry.actor == email,
            AuditEntry.action == SIGN_IN,
            AuditEntry.at >= since,
            AuditEntry.outcome.in_(("succeeded", "failed")),
        )
    ).all()


# API tokens ----------------------------------------------------------------------------------


def add_token(session: Session, token: ApiToken) -> ApiToken:
    session.add(token)
    session.flush()
    return token


def live_token(session: Session, token_hash: str) -> ApiToken | None:
    return session.scalar(
        select(ApiToken).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
    )


def token_by_id(session: Session, token_id: int, *, lock: bool = False) -> ApiToken | None:
    stmt = select(ApiToken).where(ApiToken.id == token_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def list_tokens(session: Session) -> Sequence[ApiToken]:
    return session.scalars(select(ApiToken).order_by(ApiToken.id)).all()
