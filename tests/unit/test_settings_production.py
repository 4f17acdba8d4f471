"""Production refuses to start on sandboxes, placeholder secrets and bad values (issue 16)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from freight.settings import Settings

REAL: dict[str, Any] = {
    "env": "production",
    "database_url": "postgresql://freight@db/freight",
    "secret_key": "3f0c2a9e8b7d6c5f4e3d2c1b0a998877",
    "webhook_token": "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    "shippo_api_key": "shippo_live_0123456789abcdef0123456789abcdef01234567",
    "stripe_api_key": "sk_live_51Habcdefghijklmnopqrstuvwxyz",
    "stripe_webhook_secret": "whsec_0123456789abcdef0123456789abcdef",
    "smtp_url": "smtp://mail.example.com:587",
    "public_base_url": "https://freight.example.com",
    "redis_url": "redis://redis:6379/0",
    "metrics_token": "m" * 40,
}


def _refusal(**overrides: Any) -> str:
    values = {k: v for k, v in {**REAL, **overrides}.items() if v is not None}
    with pytest.raises(ValidationError) as info:
        Settings(**values)
    return str(info.value)


def test_real_production_settings_start_without_warnings() -> None:
    settings = Settings(**REAL)
    assert settings.startup_warnings() == []


def test_stripe_without_its_webhook_secret_is_warned_about() -> None:
    settings = Settings(**{**REAL, "stripe_webhook_secret": None})
    (warning,) = settings.startup_warnings()
    assert "FREIGHT_STRIPE_WEBHOOK_SECRET" in warning


@pytest.mark.parametrize(
    ("missing", "consequence"),
    [
        ("shippo_api_key", "sandbox carrier"),
        ("stripe_api_key", "sandbox payment provider"),
        ("smtp_url", "written to files"),
        ("public_base_url", "http://127.0.0.1:8000"),
        ("redis_url", "embedded SQLite"),
    ],
)
def test_production_refuses_to_fall_back_to_a_sandbox(missing: str, consequence: str) -> None:
    message = _refusal(**{missing: None})
    assert f"FREIGHT_{missing.upper()} must be set" in message
    assert consequence in message
    assert "FREIGHT_ALLOW_SANDBOX=true" in message


def test_an_empty_value_as_in_env_example_is_refused_like_a_missing_one() -> None:
    assert "FREIGHT_SHIPPO_API_KEY must be set" in _refusal(shippo_api_key="")


def test_empty_variables_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MAIL_FROM", "METRICS_TOKEN", "TRUSTED_PROXIES", "SHIPPO_API_KEY"):
        monkeypatch.setenv(f"FREIGHT_{name}", "")
    settings = Settings()
    assert settings.mail_from == "RR Freight <repairs@example.com>"
    assert settings.metrics_token is None
    assert settings.shippo_api_key is None
    assert settings.trusted_proxies == []


def test_allow_sandbox_starts_and_says_what_is_a_sandbox() -> None:
    keep = ("env", "database_url", "secret_key", "webhook_token", "metrics_token")
    settings = Settings(**{k: REAL[k] for k in keep}, allow_sandbox=True)
    warnings = "\n".join(settings.startup_warnings())
    for name in ("SHIPPO_API_KEY", "STRIPE_API_KEY", "SMTP_URL", "PUBLIC_BASE_URL", "REDIS_URL"):
        assert f"FREIGHT_{name} is not set" in warnings


def test_test_keys_start_with_a_warning() -> None:
    test_keys = {"shippo_api_key": "shippo_test_abc", "stripe_api_key": "sk_test_x"}
    settings = Settings(**{**REAL, **test_keys})
    warnings = "\n".join(settings.startup_warnings())
    assert "Shippo test key" in warnings
    assert "Stripe test key" in warnings


@pytest.mark.parametrize("field", ["secret_key", "webhook_token", "metrics_token"])
@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("x", "at least 32 characters"),
        ("k" * 31, "at least 32 characters"),
        ("change-me-to-a-long-random-string", "placeholder"),
        ("please-CHANGE-ME-0123456789abcdef0123", "placeholder"),
    ],
)
def test_production_refuses_short_and_placeholder_secrets(
    field: str, value: str, reason: str
) -> None:
    message = _refusal(**{field: value})
    assert f"FREIGHT_{field.upper()}" in message
    assert reason in message


def test_the_development_defaults_are_refused_in_production() -> None:
    message = _refusal(secret_key=None, webhook_token=None)
    assert "FREIGHT_SECRET_KEY" in message
    assert "FREIGHT_WEBHOOK_TOKEN" in message


def test_development_and_test_need_none_of_it(tmp_path: Path) -> None:
    for env in ("development", "test"):
        settings = Settings(env=env, data_dir=tmp_path)
        assert settings.db_url.startswith("sqlite:///")
        assert settings.startup_warnings() == []


def test_an_unknown_time_zone_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="not an IANA time zone"):
        Settings(timezone="Mars/Olympus_Mons")
    assert Settings(timezone="Europe/Berlin").timezone == "Europe/Berlin"


def test_trusted_proxies_take_ips_and_cidrs_and_refuse_the_rest() -> None:
    settings = Settings(trusted_proxies="10.0.0.0/8, 192.168.1.7 ::1")
    assert settings.trusted_proxies == ["10.0.0.0/8", "192.168.1.7", "::1"]
    assert Settings().trusted_proxies == []
    with pytest.raises(ValidationError, match="not an IP address or CIDR"):
        Settings(trusted_proxies="proxy.internal")


def test_a_database_password_needs_no_url_escaping() -> None:
    from sqlalchemy.engine import make_url

    password = "p@ss:w/rd%#?&"
    settings = Settings(database_url="postgresql://freight@postgres:5432/freight",
                        database_password=password)  # fmt: skip
    url = make_url(settings.db_url)
    assert url.password == password
    assert (url.host, url.database, url.username) == ("postgres", "freight", "freight")


def test_both_multiprocess_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/tmp/a")
    assert Settings().prometheus_multiproc_dir == "/tmp/a"
    monkeypatch.setenv("FREIGHT_PROMETHEUS_MULTIPROC_DIR", "/tmp/b")
    assert Settings().prometheus_multiproc_dir == "/tmp/b"


def test_the_cli_refuses_with_one_clear_message(tmp_path: Path) -> None:
    env = {"FREIGHT_ENV": "production", "FREIGHT_SECRET_KEY": "change-me-to-a-long-random-string",
           "FREIGHT_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "freight.cli", "migrate"], env=env, capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "FREIGHT_SECRET_KEY is a placeholder" in done.stderr
    assert "FREIGHT_SHIPPO_API_KEY must be set" in done.stderr
    assert "Traceback" not in done.stderr


def test_env_example_ships_no_value() -> None:
    example = Path(__file__).parents[2] / "docker" / ".env.example"
    assigned = [
        line.split("=", 1) for line in example.read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    ]  # fmt: skip
    assert assigned, "docker/.env.example lists the variables to fill in"
    assert [name for name, value in assigned if value.strip()] == []
