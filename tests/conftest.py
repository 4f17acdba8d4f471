"""Shared fixtures: SQLite always; PostgreSQL and Redis when reachable (required in CI)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from freight import wiring

wiring.install()  # the tests' composition root, as the app, the worker and the CLI do

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Hypothesis profiles (tests/unit/properties and the properties beside the table tests).
# ci: the same examples on every run (derandomized, no example database), a bounded budget so
# the property suite stays well under a minute on a 2-core runner, and the reproduction blob
# printed with any failure. dev: fresh random examples each run, failures replayed from
# .hypothesis/. HYPOTHESIS_PROFILE=<name> picks one explicitly.
settings.register_profile(
    "ci", derandomize=True, database=None, max_examples=60, deadline=None, print_blob=True
)
settings.register_profile("dev", max_examples=100, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if CI else "dev"))
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip without the service locally; under CI=true a missing service fails the test."""
    if _reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if CI:
        pytest.fail(f"{message} (CI=true: integration services are required)")
    pytest.skip(f"{message}; start it to run this integration test")


@pytest.fixture(scope="session")
def pg_url() -> str:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    return PG_ADMIN_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    require_service("Redis", "127.0.0.1", 6379)
    return REDIS_URL


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test reads the developer's FREIGHT_* environment or writes outside tmp."""
    for key in list(os.environ):
        if key.startswith("FREIGHT_"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("FREIGHT_DATA_DIR", str(tmp_path / "data"))
    from freight.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
