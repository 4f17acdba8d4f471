"""Argon2id hashing, and the dummy check that makes an unknown email cost a real check."""

from __future__ import annotations

import time

from freight.auth.passwords import hash_password, needs_rehash, verify_password


def test_argon2id_hash_verifies_only_its_password() -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "correct horse battery ")  # spaces count
    assert not verify_password("not a hash", "x")
    assert not needs_rehash(hashed)


def test_no_hash_never_verifies_and_costs_a_real_check() -> None:
    hashed = hash_password("correct horse battery")

    def best(h: str | None) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            verify_password(h, "a guess")
            times.append(time.perf_counter() - started)
        return min(times)

    assert (
        verify_password(None, "a password nobody has: only its verification time matters") is False
    )
    assert best(None) > best(hashed) * 0.5
