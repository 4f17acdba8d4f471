"""No secret reaches a log line, whatever carries it; the lines stay JSON with context ids."""

from __future__ import annotations

import json
import logging

import pytest

from freight.logs import JsonFormatter, log_context, secret_values, set_redaction
from freight.settings import Settings

SETTINGS = Settings(
    secret_key="sk-0123456789abcdef0123456789abcdef",
    webhook_token='tok"with\\quotes-0123456789abcdef012',
    shippo_api_key="shippo_live_feedfacecafebeef0123",
    stripe_api_key="sk_live_51Hxyzxyzxyzxyzxyz",
    database_url="postgresql://freight:db-pass-0123@db:5432/freight",
    redis_url="redis://:redis-pass-0123@redis:6379/0",
    metrics_token="metrics-0123456789abcdef0123456789ab",
)


def _line(message: str, *args: object, **extra: object) -> str:
    record = logging.LogRecord("freight.x", logging.INFO, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return JsonFormatter().format(record)


@pytest.fixture(autouse=True)
def _redaction() -> None:
    set_redaction(secret_values(SETTINGS))


@pytest.mark.parametrize(
    "text",
    [
        "connecting with key sk-0123456789abcdef0123456789abcdef",
        'token tok"with\\quotes-0123456789abcdef012 seen',
        "shippo said no to shippo_live_feedfacecafebeef0123",
        "stripe key sk_live_51Hxyzxyzxyzxyzxyz",
        "url postgresql://freight:db-pass-0123@db:5432/freight",
        "broker redis://:redis-pass-0123@redis:6379/0 down",
        "GET /webhooks/shippo?token=abcdefgh1234&x=1",
        "headers {'authorization': 'Bearer rrf_abc123def456'}",
        "Authorization: Basic dXNlcjpwYXNzd29yZA==",
        "cookie: freight_session=abcdef0123456789",
        "X-Freight-Webhook-Token: some-other-token-value",
        "Shippo-Auth-Signature: t=1700000000,v1=some-other-token-value",
        "no such API token rrf_abc123def456abcdefgh1234 (revoked?)",
        "customer token cust.abcdef0123456789.abcdefgh1234 expired",
    ],
)
def test_secrets_are_masked_in_the_message(text: str) -> None:
    line = _line("%s", text)
    given = ["abcdefgh1234", "rrf_abc123def456", "dXNlcjpwYXNzd29yZA==", "abcdef0123456789"]
    for secret in (*secret_values(SETTINGS), *given, "some-other-token-value"):
        assert secret not in line
        assert json.dumps(secret)[1:-1] not in line
    assert "***" in line
    json.loads(line)


def test_secrets_are_masked_in_extras_and_exceptions() -> None:
    try:
        raise RuntimeError(f"failed with {SETTINGS.metrics_token}")
    except RuntimeError:
        import sys

        record = logging.LogRecord("freight.x", logging.ERROR, __file__, 1, "boom", (),
                                   sys.exc_info())  # fmt: skip
    record.__dict__["url"] = f"https://x/?token={SETTINGS.webhook_token}"
    line = JsonFormatter().format(record)
    assert SETTINGS.metrics_token
    assert SETTINGS.metrics_token not in line
    assert "token=***" in line
    assert json.loads(line)["exc"].endswith("failed with ***")


def test_lines_carry_the_context_ids() -> None:
    with log_context(request_id="r-1", job_id="job_9"):
        out = json.loads(_line("job.done id=%s", "job_9", status="ok"))
    assert out["request_id"] == "r-1"
    assert out["job_id"] == "job_9"
    assert out["status"] == "ok"
    assert out["event"] == "job.done id=job_9"
