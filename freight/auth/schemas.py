"""Sign-in wire models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from freight.auth.rules import PASSWORD_MAX, PASSWORD_MIN

# No control characters (SPEC §10); bounded so a huge body is refused before any hashing.
_NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
Email = Annotated[str, StringConstraints(min_length=1, max_length=320, pattern=_NO_CONTROL)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=_NO_CONTROL)]
NewPassword = Annotated[
    str, StringConstraints(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX, pattern=_NO_CONTROL)
]


class _Exact(BaseModel):
    """Unknown fields refused; text kept exactly as sent (a password's spaces are part of it)."""

    model_config = ConfigDict(extra="forbid")


class SignInIn(_Exact):
    email: Email
    password: Password = Field(json_schema_extra={"format": "password"})


class SetPasswordIn(_Exact):
    token: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_NO_CONTROL)]
    password: NewPassword = Field(
        json_schema_extra={"format": "password"},
        description="At least 12 characters, not a common password, not your email or name",
    )


class UserOut(BaseModel):
    email: str | None = Field(description="Unset for an API token")
    name: str
    role: Literal["staff", "finance", "admin"]


class SessionOut(BaseModel):
    """Who is signed in. Send csrf_token in X-CSRF-Token on every request that changes data."""

    kind: Literal["user", "token"] = Field(description="a signed-in person, or an API token")
    user: UserOut
    csrf_token: str | None = Field(description="Unset for an API token (bearer calls need none)")
    expires_at: datetime | None = Field(
        description="When the session ends unless a request comes before (idle timeout)"
    )
    idle_timeout_seconds: int | None
