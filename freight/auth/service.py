"""Token use cases."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from freight.auth.models import ApiToken
from freight.auth.rules import ROLES, Role, hash_token, new_staff_token
from freight.errors import invalid


@dataclass(frozen=True)
class Principal:
    """Who is calling: a staff-side role, or a customer scoped to one RR."""

    kind: str  # "token" | "customer"
    name: str
    role: str | None = None
    rr_number: str | None = None


def create_token(session: Session, *, role: str, name: str) -> str:
    """Create a token for a role; returns the secret once (only its hash is kept)."""
    if role not in ROLES:
        raise invalid("role", f"must be one of {', '.join(ROLES)}")
    if not name.strip():
        raise invalid("name", "must not be empty")
    token = new_staff_token()
    session.add(ApiToken(name=name.strip(), role=role, token_hash=hash_token(token)))
    session.flush()
    return token


def authenticate(session: Session, *, token: str) -> Principal | None:
    row = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None)
        )
    )
    if row is None:
        return None
    role: Role = row.role  # type: ignore[assignment]
    return Principal(kind="token", name=row.name, role=role)
