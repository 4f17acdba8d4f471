"""Webhook parsing and tokens, without a database."""

from __future__ import annotations

import json

import pytest

from freight.errors import UnauthorizedError
from freight.webhooks.service import MalformedWebhookError, check_token, parse, stable_key


def _track(number: str, status: str = "TRANSIT", when: str = "2026-11-03T10:00:00Z") -> bytes:
    data = {
        "carrier": "ups", "tracking_number": number,
        "tracking_status": {"status": status, "status_date": when}, "tracking_history": [],
    }  # fmt: skip
    return json.dumps({"event": "track_updated", "test": False, "data": data}).encode()


def test_same_update_has_same_key_and_a_new_status_a_new_one() -> None:
    _, first = parse(_track("1Z999"))
    _, again = parse(_track("1Z999"))
    _, delivered = parse(_track("1Z999", "DELIVERED", "2026-11-04T10:00:00Z"))
    assert first is not None
    assert again is not None
    assert delivered is not None
    assert first.dedup_key == again.dedup_key
    assert delivered.dedup_key != first.dedup_key


def test_long_keys_are_hashed_to_fit_the_column() -> None:
    key = "track:ups:" + "9" * 400
    assert len(stable_key(key)) <= 300
    assert stable_key(key) == stable_key(key)
    assert stable_key(key) != stable_key(key + "0")
    assert stable_key("short") == "short"


def test_unused_events_parse_to_none_and_garbage_is_malformed() -> None:
    assert parse(b'{"event": "batch_created", "data": {}}')[1] is None
    for body in (b"", b"null", b'"x"', b'{"event": 3}', b'{"event": "track_updated", "data": []}'):
        with pytest.raises(MalformedWebhookError):
            parse(body)


def test_token_is_compared_exactly() -> None:
    check_token("s3cret", "s3cret")
    for given in (None, "", "s3cre", "s3cret ", "S3CRET"):
        with pytest.raises(UnauthorizedError):
            check_token(given, "s3cret")
