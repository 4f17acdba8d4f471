"""Customer lookup: RR number + email or postal code → an RR-scoped token, without enumeration."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from freight.auth.rules import issue_customer_token
from freight.errors import FieldError, NotFoundError, TooManyRequestsError, ValidationFailedError
from freight.ratelimit.clients import client_wait, request_client
from freight.repairs import repository as rr_repo
from freight.repairs.rules import normalize_rr_number
from freight.settings import Settings

NO_MATCH = "No Repair Request matches that number and email or postal code."
_POSTAL_NOISE = re.compile(r"[\s-]+")


def _digest(secret: str, value: str) -> bytes:
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).digest()


def _postal(value: str) -> str:
    return _POSTAL_NOISE.sub("", value).upper()


def client_address(request: Any) -> str:
    """The caller's address (rate limits, the agreement record): the socket peer, or behind a
    trusted proxy the client it names (SPEC §10, the same rule as the lookup)."""
    return request_client(request)


def check_rate(settings: Settings, *, holder: Any, client: str, scope: str = "lookup") -> None:
    """429 with Retry-After once a client exceeds lookup_rate_per_minute in the last minute in
    this scope (the public endpoints each count on their own: lookup, submissions, warranty).
    The window slides on the store's clock, shared by every API process."""
    wait = client_wait(
        holder, settings, purpose=scope, client=client, per_minute=settings.lookup_rate_per_minute
    )
    if wait is not None:
        raise TooManyRequestsError(
            "Too many requests from this address; try again in a minute.", retry_after=wait
        )


def lookup(
    session: Session,
    *,
    rr_number: str,
    email: str | None,
    postal_code: str | None,
    settings: Settings,
    now: datetime,
) -> tuple[str, datetime]:
    """(token, expires_at) when the RR and the email or postal code match; one 404 otherwise.

    The same work is done whether the RR exists or not, and both checks are constant-time,
    so neither the answer nor its timing says which part was wrong.
    """
    if not (email or postal_code):
        raise ValidationFailedError(
            "Give the email address or the postal code of the Repair Request.",
            [FieldError("email", "email or postal_code is required")],
        )
    number = normalize_rr_number(rr_number)
    rr = rr_repo.get_by_number(session, number)
    secret = settings.secret_key
    want_email = rr.customer_email.strip().lower() if rr else "\0"
    want_postal = _postal(str(rr.return_address.get("postal_code", ""))) if rr else "\0"
    email_ok = hmac.compare_digest(
        _digest(secret, want_email), _digest(secret, (email or "").strip().lower() or "\1")
    )
    postal_ok = hmac.compare_digest(
        _digest(secret, want_postal), _digest(secret, _postal(postal_code or "") or "\1")
    )
    hours = settings.customer_token_hours
    token = issue_customer_token(number, secret=secret, now=now, hours=hours)
    # Every value given must match (email and postal code together are both checked).
    matched = rr is not None and (email_ok or not email) and (postal_ok or not postal_code)
    if not matched:
        raise NotFoundError(NO_MATCH)
    return token, now + timedelta(hours=hours)
