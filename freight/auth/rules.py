"""Pure auth rules: tokens, passwords, sign-in lockout, session lifetime and CSRF (SPEC §9).

Rule ids: A-PASSWORD (password policy), A-LOCKOUT (5 failures in 15 minutes lock the email for
15 minutes), A-SESSION (idle and absolute session lifetime), A-CSRF (cookie-authenticated unsafe
requests carry the session's token in X-CSRF-Token).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Role = Literal["staff", "finance", "admin"]
ROLES: tuple[Role, ...] = ("staff", "finance", "admin")
STAFF_TOKEN_PREFIX = "rrf_"  # noqa: S105 - the public prefix of tokens, not a token
CSRF_HEADER = "X-CSRF-Token"
SESSION_COOKIE = "rrf_session"  # HttpOnly: the session id
CSRF_COOKIE = "csrf_token"  # readable by the pages' script (double submit)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def new_staff_token() -> str:
    """A random bearer token; only its hash is stored."""
    return STAFF_TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_secret() -> str:
    """A random session id or set-password token; only its hash is stored."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(email: str) -> str:
    return email.strip().lower()


# A-PASSWORD ----------------------------------------------------------------------------------

PASSWORD_MIN = 12
PASSWORD_MAX = 128
# Passwords people pick first; the length rule already stops most short ones (NIST SP 800-63B
# asks for a list of known-bad values rather than composition rules).
_COMMON = frozenset(
    "password1234 password12345 passwordpassword 123456789012 1234567890123 qwertyuiopas "
    "qwerty123456 letmein12345 welcome12345 changeme1234 administrator iloveyou1234 "
    "rrfreight123 repairdesk12".split()
)


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why a new password is refused (A-PASSWORD), or None when it is acceptable."""
    if len(password) < PASSWORD_MIN:
        return f"must be at least {PASSWORD_MIN} characters long"
    if len(password) > PASSWORD_MAX:
        return f"must be at most {PASSWORD_MAX} characters long"
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        return "must not contain control characters"
    lowered = password.lower()
    if len(set(lowered)) < 5:
        return "must use at least 5 different characters"
    if lowered in _COMMON:
        return "is one of the most common passwords; choose another"
    local = normalize_email(email).split("@")[0]
    if len(local) >= 4 and local in lowered:
        return "must not contain your email address"
    if len(name.strip()) >= 4 and name.strip().lower() in lowered:
        return "must not contain your name"
    return None


# A-LOCKOUT -----------------------------------------------------------------------------------

LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
LOCKOUT_DURATION = timedelta(minutes=15)
# Every attempt that can matter for a lock in force now happened within this span.
LOCKOUT_LOOKBACK = LOCKOUT_WINDOW + LOCKOUT_DURATION


@dataclass(frozen=True)
class Attempt:
    """A recorded sign-in attempt for one email: a success or a wrong password/unknown email.
    Attempts refused because the email was already locked are not Attempts."""

    at: datetime
    succeeded: bool


def locked_until(attempts: Iterable[Attempt], *, now: datetime) -> datetime | None:
    """When the email's lock ends, if it is locked now (A-LOCKOUT).

    The fifth failure within 15 minutes (none of them followed by a success) locks the email
    for 15 minutes from that failure; the count starts again after a success or a lock.
    Keyed by email, not account, so an unknown email behaves exactly like a known one.
    """
    lock_end: datetime | None = None
    window: list[datetime] = []
    for attempt in sorted(attempts, key=lambda a: a.at):
        if lock_end is not None and attempt.at < lock_end:
            continue
        if attempt.succeeded:
            window.clear()
            continue
        window = [t for t in window if t > attempt.at - LOCKOUT_WINDOW] + [attempt.at]
        if len(window) >= LOCKOUT_FAILURES:
            lock_end, window = attempt.at + LOCKOUT_DURATION, []
    return lock_end if lock_end is not None and lock_end > now else None


# A-SESSION -----------------------------------------------------------------------------------

SessionState = Literal["active", "idle", "expired", "revoked"]
TOUCH_EVERY = timedelta(minutes=1)  # last-seen is written at most this often (fewer writes)


def session_state(
    *,
    created_at: datetime,
    last_seen_at: datetime,
    revoked: bool,
    now: datetime,
    idle: timedelta,
    lifetime: timedelta,
) -> SessionState:
    """A session ends when revoked, after `idle` without a request, or `lifetime` after sign-in."""
    if revoked:
        return "revoked"
    if now >= created_at + lifetime:
        return "expired"
    if now >= last_seen_at + idle:
        return "idle"
    return "active"


def needs_touch(last_seen_at: datetime, *, now: datetime) -> bool:
    return now - last_seen_at >= TOUCH_EVERY


# A-CSRF --------------------------------------------------------------------------------------


def csrf_token_for(session_id: str, *, secret: str) -> str:
    """The session's CSRF token: derived from its id, so nothing more is stored."""
    return hmac.new(secret.encode(), b"csrf:" + session_id.encode(), hashlib.sha256).hexdigest()


def csrf_problem(*, method: str, sent: str | None, expected: str) -> str | None:
    """Why a cookie-authenticated request is refused (A-CSRF), or None when it may go on."""
    if method.upper() in SAFE_METHODS:
        return None
    if sent is None or not sent.strip():
        return (
            f"The {CSRF_HEADER} header is missing: a request signed in by cookie that changes "
            "something must send the csrf_token it got at sign-in (also in the csrf_token cookie)."
        )
    if not hmac.compare_digest(sent.strip().encode(), expected.encode()):
        return f"The {CSRF_HEADER} header does not match this session's csrf_token; sign in again."
    return None


# Customer tokens -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerClaims:
    rr_number: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_customer_token(rr_number: str, *, secret: str, now: datetime, hours: int) -> str:
    """A token that lets its holder read and act on one RR until it expires."""
    body = json.dumps({"rr": rr_number, "exp": int((now + timedelta(hours=hours)).timestamp())})
    payload = _b64(body.encode())
    sig = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return f"cust.{payload}.{_b64(sig)}"


def read_customer_token(token: str, *, secret: str, now: datetime) -> CustomerClaims | None:
    """The claims of a valid, unexpired customer token, else None."""
    try:
        kind, payload, sig = token.split(".")
        if kind != "cust":
            return None
        want = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(want, _unb64(sig)):
            return None
        data = json.loads(_unb64(payload))
        expires = datetime.fromtimestamp(int(data["exp"]), tz=now.tzinfo)
        rr = str(data["rr"])
    except (ValueError, KeyError, TypeError):
        return None
    if expires <= now:
        return None
    return CustomerClaims(rr_number=rr, expires_at=expires)
