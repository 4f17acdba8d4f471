"""The pages' Content-Security-Policy follows the settings: Stripe.js's origin only with a key."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from freight.app import create_app
from freight.migrate import upgrade
from freight.settings import Settings


def _policy(tmp_path: Path, path: str, **values: object) -> str:
    settings = Settings(env="test", data_dir=tmp_path / "d", **values)  # type: ignore[arg-type]
    upgrade(settings)
    with TestClient(create_app(settings)) as client:
        return str(client.get(path).headers["content-security-policy"])


def test_without_a_stripe_key_pages_load_nothing_from_stripe(tmp_path: Path) -> None:
    policy = _policy(tmp_path, "/track")
    assert "stripe" not in policy
    assert policy.startswith("default-src 'self';")
    assert "script-src" not in policy  # default-src 'self': no inline script, no other origin


def test_with_a_publishable_key_stripe_js_may_load_and_frame(tmp_path: Path) -> None:
    policy = _policy(tmp_path, "/track", stripe_publishable_key="pk_test_51Nexample")
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self' https://js.stripe.com"
    assert directives["frame-src"] == "'self' https://js.stripe.com https://hooks.stripe.com"
    assert directives["connect-src"] == "'self' https://api.stripe.com"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert directives["base-uri"] == "'self'"


def test_errors_carry_the_headers_too(tmp_path: Path) -> None:
    settings = Settings(env="test", data_dir=tmp_path / "d")
    upgrade(settings)
    with TestClient(create_app(settings)) as client:
        missing = client.get("/api/v1/no-such-thing")
        hook = client.post("/webhooks/shippo?token=wrong", json={})  # the webhook hot path
    assert hook.status_code == 401
    assert hook.headers["x-content-type-options"] == "nosniff"
    assert hook.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert missing.status_code == 404
    assert missing.headers["x-content-type-options"] == "nosniff"
    assert (
        missing.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    )
