"""Shippo's published per-minute limits and the 429 headers, as data."""

from __future__ import annotations

import pytest

from carriers import limits
from carriers.shippo.session import reset_at


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("POST", "/transactions", ("transactions", "write")),
        ("GET", "/transactions?rate=abc", ("transactions", "list")),
        ("GET", "/transactions/abc", ("transactions", "get")),
        ("GET", "/refunds/", ("refunds", "list")),
        ("GET", "/tracks/usps/9400", ("tracks", "get")),
    ],
)
def test_endpoint_classes(method: str, path: str, expected: tuple[str, str]) -> None:
    assert limits.endpoint_class(method, path) == expected


def test_limits_follow_shippos_table_live_and_test() -> None:
    assert limits.limit_for("transactions", "list", "live") == 50
    assert limits.limit_for("transactions", "list", "test") == 10
    assert limits.limit_for("transactions", "write", "live") == 500
    assert limits.limit_for("rates", "get", "test") == 400
    assert limits.limit_for("tracks", "write", "test") == 50
    assert limits.mode_of("ShippoToken shippo_test_x") == "test"
    assert limits.mode_of("shippo_live_x") == "live"


def test_the_budget_key_never_contains_the_api_key() -> None:
    key = limits.key_for("shippo_live_secret", "transactions", "list")
    assert "secret" not in key
    assert key.endswith(":transactions:list")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-RateLimit-Reset": "1800000030"}, 1_800_000_030.0),  # epoch seconds
        ({"X-RateLimit-Reset": "1800000030500"}, 1_800_000_030.5),  # epoch milliseconds
        ({"X-RateLimit-Reset": "12"}, 1_800_000_012.0),  # seconds from now
        ({"Retry-After": "7"}, 1_800_000_007.0),
        ({}, 1_800_000_060.0 - 1_800_000_000 % 60),  # the next whole minute
    ],
)
def test_when_a_throttled_window_opens(headers: dict[str, str], expected: float) -> None:
    assert reset_at(headers, 1_800_000_000.0) == expected
