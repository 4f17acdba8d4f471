from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freight.auth.rules import (
    CSRF_HEADER,
    Attempt,
    csrf_problem,
    csrf_token_for,
    hash_token,
    issue_customer_token,
    locked_until,
    new_staff_token,
    password_problem,
    read_customer_token,
    session_state,
)

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def test_customer_token_is_scoped_and_expires() -> None:
    token = issue_customer_token("RR-ABC12345", secret="s3", now=NOW, hours=24)
    claims = read_customer_token(token, secret="s3", now=NOW + timedelta(hours=23))
    assert claims is not None
    assert claims.rr_number == "RR-ABC12345"
    assert read_customer_token(token, secret="s3", now=NOW + timedelta(hours=24, seconds=1)) is None


def test_customer_token_cannot_be_forged_or_retargeted() -> None:
    token = issue_customer_token("RR-ABC12345", secret="s3", now=NOW, hours=24)
    assert read_customer_token(token, secret="other", now=NOW) is None
    kind, payload, sig = token.split(".")
    other = issue_customer_token("RR-ZZZ99999", secret="s3", now=NOW, hours=24).split(".")[1]
    assert read_customer_token(f"{kind}.{other}.{sig}", secret="s3", now=NOW) is None
    assert read_customer_token("garbage", secret="s3", now=NOW) is None


def test_staff_tokens_are_random_and_hashed() -> None:
    a, b = new_staff_token(), new_staff_token()
    assert a != b
    assert a.startswith("rrf_")
    assert hash_token(a) != a
    assert len(hash_token(a)) == 64


# A-LOCKOUT ------------------------------------------------------------------------------------


def _fails(*minutes: float) -> list[Attempt]:
    return [Attempt(at=NOW + timedelta(minutes=m), succeeded=False) for m in minutes]


def test_the_fifth_failure_within_15_minutes_locks_for_15_minutes_from_it() -> None:
    attempts = _fails(0, 1, 2, 3, 4)
    assert locked_until(attempts[:4], now=NOW + timedelta(minutes=4)) is None
    assert locked_until(attempts, now=NOW + timedelta(minutes=4)) == NOW + timedelta(minutes=19)
    assert locked_until(attempts, now=NOW + timedelta(minutes=18, seconds=59)) is not None
    assert locked_until(attempts, now=NOW + timedelta(minutes=19)) is None


def test_failures_spread_wider_than_the_window_do_not_lock() -> None:
    # Five failures, but never five inside any 15-minute span.
    assert locked_until(_fails(0, 4, 8, 12, 15.5), now=NOW + timedelta(minutes=16)) is None
    assert locked_until(_fails(0, 4, 8, 12, 14.9), now=NOW + timedelta(minutes=15)) is not None


def test_a_success_starts_the_count_again() -> None:
    attempts = [*_fails(0, 1, 2, 3), Attempt(NOW + timedelta(minutes=3.5), True), *_fails(4)]
    assert locked_until(attempts, now=NOW + timedelta(minutes=5)) is None


def test_after_a_lock_ends_the_count_starts_again() -> None:
    # Locked at minute 4 until 19; four more failures after it are not yet a new lock.
    attempts = _fails(0, 1, 2, 3, 4, 20, 21, 22, 23)
    assert locked_until(attempts, now=NOW + timedelta(minutes=24)) is None
    assert locked_until([*attempts, *_fails(24)], now=NOW + timedelta(minutes=24)) == NOW + (
        timedelta(minutes=39)
    )


# A-CSRF ---------------------------------------------------------------------------------------


def test_csrf_is_required_on_unsafe_methods_and_names_the_header() -> None:
    expected = csrf_token_for("session-1", secret="k")
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        missing = csrf_problem(method=method, sent=None, expected=expected)
        assert missing is not None
        assert CSRF_HEADER in missing
        assert "missing" in missing
    wrong = csrf_problem(method="POST", sent="nope", expected=expected)
    assert wrong is not None
    assert "does not match" in wrong
    assert csrf_problem(method="POST", sent=expected, expected=expected) is None
    assert csrf_problem(method="GET", sent=None, expected=expected) is None


def test_csrf_token_is_bound_to_the_session_and_the_secret() -> None:
    token = csrf_token_for("session-1", secret="k")
    assert token != csrf_token_for("session-2", secret="k")
    assert token != csrf_token_for("session-1", secret="other")
    assert token == csrf_token_for("session-1", secret="k")


# A-PASSWORD -----------------------------------------------------------------------------------


def test_password_policy() -> None:
    assert password_problem("correct horse battery", email="ada@example.com") is None
    assert "at least 12" in (password_problem("short pass") or "")
    assert "at most 128" in (password_problem("x" * 64 + "y" * 65) or "")
    assert "common" in (password_problem("Password1234") or "")
    assert "different characters" in (password_problem("abababababab") or "")
    assert "email" in (password_problem("lovelace-is-great", email="lovelace@example.com") or "")
    assert "name" in (password_problem("ada lovelace rules", name="Ada Lovelace") or "")
    assert "control" in (password_problem("correct horse\x00battery") or "")


# A-SESSION ------------------------------------------------------------------------------------


def test_session_ends_when_idle_expired_or_revoked() -> None:
    idle, life = timedelta(minutes=60), timedelta(hours=12)

    def state(seen_min: float, now_min: float, revoked: bool = False) -> str:
        return session_state(
            created_at=NOW, last_seen_at=NOW + timedelta(minutes=seen_min), revoked=revoked,
            now=NOW + timedelta(minutes=now_min), idle=idle, lifetime=life,
        )  # fmt: skip

    assert state(0, 59) == "active"
    assert state(0, 60) == "idle"
    assert state(600, 659) == "active"  # each request pushes the idle timeout on
    assert state(710, 720) == "expired"  # …but not past the absolute lifetime
    assert state(0, 1, revoked=True) == "revoked"
