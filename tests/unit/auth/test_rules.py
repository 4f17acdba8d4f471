from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freight.auth.rules import (
    hash_token,
    issue_customer_token,
    new_staff_token,
    read_customer_token,
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
