"""Who is calling: API tokens for scripts, cookie sessions for people (SPEC §4, §9)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from freight.audit import service as audit
from freight.auth import repository as repo
from freight.auth.models import ApiToken, User, UserSession
from freight.auth.rules import (
    ROLES,
    csrf_token_for,
    hash_token,
    needs_touch,
    new_secret,
    new_staff_token,
    session_state,
)
from freight.errors import NotFoundError, invalid
from freight.settings import Settings


@dataclass(frozen=True)
class Principal:
    """Who is calling: a signed-in user, a staff-side API token, or a customer scoped to one RR."""

    kind: str  # "user" | "token" | "customer"
    name: str  # shown in RR history ("by …")
    role: str | None = None
    rr_number: str | None = None
    email: str | None = None
    csrf_token: str | None = None  # cookie sessions only
    session_expires_at: datetime | None = None

    @property
    def staff_side(self) -> bool:
        return self.kind in ("user", "token")

    @property
    def actor(self) -> str:
        """The audit trail's name for the caller (unique: an email, token:NAME, customer:RR)."""
        if self.kind == "user" and self.email:
            return self.email
        if self.kind == "token":
            return f"token:{self.name}"
        return self.name


# API tokens ----------------------------------------------------------------------------------


def create_token(
    session: Session, *, role: str, name: str, actor: str = "cli", now: datetime | None = None
) -> str:
    """Create a token for a role; returns the secret once (only its hash is kept)."""
    if role not in ROLES:
        raise invalid("role", f"must be one of {', '.join(ROLES)}")
    if not name.strip():
        raise invalid("name", "must not be empty")
    token = new_staff_token()
    row = ApiToken(name=name.strip(), role=role, token_hash=hash_token(token))
    if now is not None:
        row.created_at = now
    repo.add_token(session, row)
    audit.record(
        session, actor=actor, action="token.create", outcome="succeeded", target=_token_target(row),
        at=row.created_at, detail=f"role {role}",
    )  # fmt: skip
    return token


def list_tokens(session: Session) -> Sequence[ApiToken]:
    return repo.list_tokens(session)


def revoke_token(session: Session, *, token_id: int, actor: str, now: datetime) -> ApiToken:
    """Revoke a token (scripts using it get 401 from the next request on)."""
    row = repo.token_by_id(session, token_id, lock=True)
    if row is None:
        raise NotFoundError(f"No API token has id {token_id} (see `freight tokens list`).")
    if row.revoked_at is None:
        row.revoked_at = now
        audit.record(
            session, actor=actor, action="token.revoke", outcome="succeeded",
            target=_token_target(row), at=now,
        )  # fmt: skip
    return row


def _token_target(row: ApiToken) -> str:
    return f"token:{row.id} {row.name}"


def authenticate(session: Session, *, token: str) -> Principal | None:
    row = repo.live_token(session, hash_token(token))
    if row is None:
        return None
    return Principal(kind="token", name=row.name, role=row.role)


# Cookie sessions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    """A new session: the cookie value (shown once), its CSRF token, and who it is for."""

    session_id: str
    csrf_token: str
    user: User
    expires_at: datetime  # the idle timeout, if no request comes before


def start_session(session: Session, *, user: User, now: datetime, settings: Settings) -> SignedIn:
    session_id = new_secret()
    repo.add_session(
        session,
        UserSession(
            id_hash=hash_token(session_id), user_id=user.id, created_at=now, last_seen_at=now
        ),
    )
    return SignedIn(
        session_id=session_id, csrf_token=csrf_token_for(session_id, secret=settings.secret_key),
        user=user, expires_at=_expiry(now, now, settings),
    )  # fmt: skip


def session_principal(
    session: Session, *, session_id: str, now: datetime, settings: Settings
) -> Principal | None:
    """The signed-in user behind a session cookie, or None when the session has ended."""
    found = repo.session_with_user(session, hash_token(session_id))
    if found is None:
        return None
    row, user = found
    state = session_state(
        created_at=row.created_at, last_seen_at=row.last_seen_at,
        revoked=row.ended_at is not None or user.disabled_at is not None, now=now,
        idle=timedelta(minutes=settings.session_idle_minutes),
        lifetime=timedelta(hours=settings.session_max_hours),
    )  # fmt: skip
    if state != "active":
        return None
    if needs_touch(row.last_seen_at, now=now):
        row.last_seen_at = now  # sliding idle timeout; committed with the request
    return Principal(
        kind="user", name=user.name, role=user.role, email=user.email,
        csrf_token=csrf_token_for(session_id, secret=settings.secret_key),
        session_expires_at=_expiry(row.created_at, row.last_seen_at, settings),
    )  # fmt: skip


def end_session(session: Session, *, session_id: str, now: datetime) -> None:
    """Sign out: end the cookie's session (nothing happens for an unknown or ended one)."""
    found = repo.session_with_user(session, hash_token(session_id))
    if found is not None and found[0].ended_at is None:
        found[0].ended_at, found[0].ended_reason = now, "signed_out"


def _expiry(created_at: datetime, last_seen_at: datetime, settings: Settings) -> datetime:
    return min(
        last_seen_at + timedelta(minutes=settings.session_idle_minutes),
        created_at + timedelta(hours=settings.session_max_hours),
    )
