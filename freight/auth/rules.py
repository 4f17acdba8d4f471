"""Pure token rules: staff token hashing and RR-scoped customer tokens (HMAC, expiring)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Role = Literal["staff", "finance", "admin"]
ROLES: tuple[Role, ...] = ("staff", "finance", "admin")
STAFF_TOKEN_PREFIX = "rrf_"


def new_staff_token() -> str:
    """A random bearer token; only its hash is stored."""
    return STAFF_TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
