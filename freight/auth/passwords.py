"""Argon2id password hashing (argon2-cffi, RFC 9106 parameters of the library's defaults)."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()  # Argon2id


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if the password matches. With no hash (unknown email, no password set yet) a dummy
    hash is checked instead, so every refusal costs the same time as a wrong password."""
    try:
        return _HASHER.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with older parameters (it is replaced at the next sign-in)."""
    return _HASHER.check_needs_rehash(password_hash)


# Made with the library's parameters, so checking it costs what checking a real hash costs, from
# the first sign-in on; rebuilt once if a library upgrade changes the parameters.
_DUMMY = (
    "$argon2id$v=19$m=65536,t=3,p=4$MJOOcTaHYjJlgPsYkXlWfw$"
    "eMR8+ErUKBVDquzT2SClF3ipU1x5Rv+SuznnR1q6FMY"
)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    if not _HASHER.check_needs_rehash(_DUMMY):
        return _DUMMY
    return _HASHER.hash("a password nobody has: only its verification time matters")
