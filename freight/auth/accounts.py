"""Account use cases: create, list, disable/enable, set-password links, sign-in (SPEC §9)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from freight.audit import service as audit
from freight.auth import repository as repo
from freight.auth.models import User
from freight.auth.passwords import hash_password, needs_rehash, verify_password
from freight.auth.rules import (
    LOCKOUT_DURATION,
    LOCKOUT_LOOKBACK,
    ROLES,
    Attempt,
    hash_token,
    locked_until,
    new_secret,
    normalize_email,
    password_problem,
)
from freight.auth.service import SignedIn, start_session
from freight.errors import AppError, ConflictError, NotFoundError, TooManyRequestsError, invalid
from freight.settings import Settings

SET_PASSWORD_PATH = "/set-password"  # noqa: S105 - a URL path


@dataclass(frozen=True)
class NewUser:
    user: User
    password_link: str | None  # shown once when no password was given


def create_user(
    session: Session, *, email: str, name: str, role: str, password: str | None, actor: str,
    now: datetime, settings: Settings,
) -> NewUser:  # fmt: skip
    """Create an account with a password, or with a one-time link to set one."""
    email = _check_email(email)
    if role not in ROLES:
        raise invalid("role", f"must be one of {', '.join(ROLES)}")
    if not name.strip() or len(name.strip()) > 200:
        raise invalid("name", "must be 1 to 200 characters")
    if repo.user_by_email(session, email) is not None:
        raise ConflictError(f"An account for {email} already exists (see `freight users list`).")
    user = User(email=email, name=name.strip(), role=role, created_at=now)
    if password is not None:
        _check_password(password, email=email, name=name)
        user.password_hash = hash_password(password)
    repo.add_user(session, user)
    link = None if password is not None else _new_link(user, now=now, settings=settings)
    audit.record(
        session, actor=actor, action="user.create", outcome="succeeded", target=email, at=now,
        detail=f"role {role}" + ("" if link is None else "; set-password link issued"),
    )  # fmt: skip
    return NewUser(user=user, password_link=link)


def list_users(session: Session) -> Sequence[User]:
    return repo.list_users(session)


def set_disabled(
    session: Session, *, email: str, disabled: bool, actor: str, now: datetime
) -> tuple[User, int]:
    """Disable (ending every session) or re-enable an account; the user and sessions ended."""
    user = _existing(session, email)
    ended = 0
    if disabled and user.disabled_at is None:
        user.disabled_at = now
        user.password_link_hash = user.password_link_expires_at = None
        ended = repo.end_sessions(session, user_id=user.id, at=now, reason="user_disabled")
    elif not disabled:
        user.disabled_at = None
    audit.record(
        session, actor=actor, action="user.disable" if disabled else "user.enable",
        outcome="succeeded", target=user.email, at=now,
        detail=f"{ended} session(s) ended" if disabled else None,
    )  # fmt: skip
    return user, ended


def new_password_link(
    session: Session, *, email: str, actor: str, now: datetime, settings: Settings
) -> str:
    """A fresh one-time set-password link (replaces any earlier one)."""
    user = _existing(session, email)
    if user.disabled_at is not None:
        raise ConflictError(f"{user.email} is disabled; enable it first (`freight users enable`).")
    link = _new_link(user, now=now, settings=settings)
    audit.record(
        session, actor=actor, action="user.password_link", outcome="succeeded", target=user.email,
        at=now,
    )  # fmt: skip
    return link


def replace_password(
    session: Session, *, email: str, password: str, actor: str, now: datetime
) -> User:
    """Give an account a new password directly (operator or demo); its sessions end."""
    user = _existing(session, email)
    _store_password(session, user, password, actor=actor, now=now)
    return user


def set_password(
    session: Session, *, token: str, password: str, now: datetime, settings: Settings
) -> SignedIn:
    """Use a set-password link: store the new password, end older sessions, sign in."""
    user = repo.user_by_link(session, hash_token(token))
    expires = user.password_link_expires_at if user is not None else None
    if user is None or user.disabled_at is not None or expires is None or expires <= now:
        raise NotFoundError(
            "This set-password link is not valid, was used already or has expired; ask an admin "
            "for a new one (freight users reset-password).",
            errors=[{"field": "token", "message": "not a live set-password link"}],
        )
    _store_password(session, user, password, actor=user.email, now=now)
    return start_session(session, user=user, now=now, settings=settings)


def _store_password(
    session: Session, user: User, password: str, *, actor: str, now: datetime
) -> None:
    """A new password (A-PASSWORD checked): any link is spent and older sessions end."""
    _check_password(password, email=user.email, name=user.name)
    user.password_hash = hash_password(password)
    user.password_link_hash = user.password_link_expires_at = None
    repo.end_sessions(session, user_id=user.id, at=now, reason="password_changed")
    audit.record(
        session, actor=actor, action="user.set_password", outcome="succeeded", target=user.email,
        at=now,
    )  # fmt: skip


class SignInError(AppError):
    """Wrong email or password: one answer for every reason, so no account can be discovered."""

    def __init__(self, detail: str = "The email or password is wrong.") -> None:
        super().__init__(
            detail, 401, "Sign-in failed", "https://rr-freight.example/problems/sign-in"
        )


def sign_in(
    session: Session, *, email: str, password: str, now: datetime, settings: Settings,
    request_id: str | None = None,
) -> SignedIn | AppError:  # fmt: skip
    """Check an email and password (A-LOCKOUT). Returns the refusal instead of raising it, so the
    failed attempt it records is committed."""
    email = normalize_email(email)

    def log(outcome: audit.Outcome, status: int | None, **extra: str | None) -> None:
        action = extra.pop("action", None) or repo.SIGN_IN
        audit.record(
            session, actor=email, action=action, outcome=outcome, at=now, status_code=status,
            request_id=request_id, target=email, **extra,
        )  # fmt: skip

    repo.lock_sign_in(session, email)
    attempts = repo.sign_in_attempts(session, email=email, since=now - LOCKOUT_LOOKBACK)
    history = [Attempt(at=a.at, succeeded=a.outcome == "succeeded") for a in attempts]
    if (until := locked_until(history, now=now)) is not None:
        log("locked", 429)
        return _locked(until, now)
    user = repo.user_by_email(session, email)
    matches = verify_password(user.password_hash if user else None, password)
    if user is None or not matches or user.disabled_at is not None:
        log(
            "failed",
            401,
            detail="unknown email" if user is None else "disabled" if matches else "wrong password",
        )
        if locked_until([*history, Attempt(at=now, succeeded=False)], now=now) is None:
            return SignInError()
        minutes = int(LOCKOUT_DURATION.total_seconds() // 60)
        log("locked", None, action="session.lockout", detail=f"locked for {minutes} minutes")
        return SignInError(
            "The email or password is wrong. Too many failed sign-ins: this email is locked "
            f"for {minutes} minutes."
        )
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    log("succeeded", 200, role=user.role)
    return start_session(session, user=user, now=now, settings=settings)


def _locked(until: datetime, now: datetime) -> TooManyRequestsError:
    seconds = max(1, int((until - now).total_seconds()))
    minutes = (seconds + 59) // 60
    return TooManyRequestsError(
        f"Too many failed sign-ins for this email: try again in {minutes} minute(s).", seconds
    )


def _new_link(user: User, *, now: datetime, settings: Settings) -> str:
    token = new_secret()
    user.password_link_hash = hash_token(token)
    user.password_link_expires_at = now + timedelta(hours=settings.password_link_hours)
    # The token travels in the fragment, which browsers never send to a server or in a Referer.
    return f"{settings.public_base_url.rstrip('/')}{SET_PASSWORD_PATH}#token={token}"


def _existing(session: Session, email: str) -> User:
    user = repo.user_by_email(session, normalize_email(email), lock=True)
    if user is None:
        raise NotFoundError(f"No account for {normalize_email(email)} (see `freight users list`).")
    return user


def _check_email(email: str) -> str:
    email = normalize_email(email)
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or len(email) > 320:
        raise invalid("email", f"'{email}' is not an email address")
    if any(ord(c) <= 32 or ord(c) == 127 for c in email):
        raise invalid("email", f"'{email}' is not an email address")
    return email


def _check_password(password: str, *, email: str, name: str) -> None:
    problem = password_problem(password, email=email, name=name)
    if problem is not None:
        raise invalid("password", problem)
