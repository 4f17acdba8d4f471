"""Shippo's HMAC webhook signature: what the service accepts, and the sandbox signs the same way."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import pytest

from carriers.sandbox import hooks
from freight.errors import UnauthorizedError
from freight.webhooks.service import check_signature

SECRET = "a-shared-secret-of-thirty-two-characters"
BODY = b'{"event":"track_updated","data":{}}'


def _mac(stamp: int, body: bytes = BODY, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()


def test_any_of_several_v1_signatures_may_match_as_during_a_key_rotation() -> None:
    now = 1_790_000_000
    header = f"t={now}, v1={_mac(now, secret='old-secret')}, v1={_mac(now).upper()}"
    check_signature(header, BODY, secret=SECRET, now=now + 299)


@pytest.mark.parametrize(
    "header",
    [None, "", "v1=00", "t=1790000000", "t=-5,v1=00", "t=1790000000,v1=é", "garbage"],
)
def test_malformed_signature_headers_are_401(header: str | None) -> None:
    with pytest.raises(UnauthorizedError):
        check_signature(header, BODY, secret=SECRET, now=1_790_000_000)


def test_the_sandbox_signs_its_deliveries_so_a_signing_service_accepts_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[dict[str, Any]] = []

    class Ok:
        status_code = 202

    def post(url: str, **kwargs: Any) -> Ok:
        sent.append({"url": url, **kwargs})
        return Ok()

    monkeypatch.setattr("carriers.sandbox.hooks.requests.post", post)
    hooks.signed_post(SECRET, "X-Sig")("http://svc/webhooks/shippo", {"event": "track_updated"})
    [delivery] = sent
    check_signature(delivery["headers"]["X-Sig"], delivery["data"], secret=SECRET, now=time.time())
    with pytest.raises(UnauthorizedError):
        check_signature(
            delivery["headers"]["X-Sig"], delivery["data"], secret="other", now=time.time()
        )
