"""`freight tasks run NAME [--as-of]`: run a periodic task once, now or as of an instant."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from freight.cli import main
from freight.repairs.models import RepairRequest
from freight.settings import Settings
from tests.integration.conftest import Clock


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command against the test database. `tasks run` migrates first (as from an empty
    folder); the test schema is made from the models, so it is stamped as at head — what a
    migrated database is."""
    from alembic import command

    from freight.migrate import alembic_config

    command.stamp(alembic_config(settings.db_url), "head")
    monkeypatch.setenv("FREIGHT_DATABASE_URL", settings.db_url)
    monkeypatch.setenv("FREIGHT_DATA_DIR", str(settings.data_dir))
    from freight.settings import get_settings

    get_settings.cache_clear()


@pytest.mark.usefixtures("cli_env")
def test_auto_cancel_as_of_a_later_instant(
    open_rr: Callable[..., dict[str, Any]], clock: Clock,
    session: Session, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    rr = open_rr()
    later = (clock.now + timedelta(days=31)).isoformat()
    assert main(["tasks", "run", "repairs.auto_cancel", "--as-of", later]) == 0
    out = capsys.readouterr().out
    assert f"repairs.auto_cancel as of {later}: 1 item(s): {rr['rr_number']}" in out
    status = session.scalar(
        select(RepairRequest.status).where(RepairRequest.rr_number == rr["rr_number"])
    )
    assert status == "cancelled"


@pytest.mark.usefixtures("cli_env")
def test_unknown_task_and_naive_instant_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tasks", "run", "nope.nothing"]) == 2
    assert "no periodic task named 'nope.nothing'" in capsys.readouterr().err
    assert main(["tasks", "run", "jobs.relay", "--as-of", "2026-12-01T09:00:00"]) == 2
    assert "needs a time zone" in capsys.readouterr().err
    assert main(["tasks", "run", "jobs.relay"]) == 0
    assert "jobs.relay as of" in capsys.readouterr().out


@pytest.mark.usefixtures("cli_env")
def test_as_of_is_refused_in_production(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FREIGHT_ENV", "production")
    monkeypatch.setenv("FREIGHT_SECRET_KEY", "s3cret-for-test-0123456789abcdef0123")
    monkeypatch.setenv("FREIGHT_WEBHOOK_TOKEN", "hook-for-test-0123456789abcdef01234")
    monkeypatch.setenv("FREIGHT_ALLOW_SANDBOX", "true")  # the sandboxes, on purpose
    from freight.settings import get_settings

    get_settings.cache_clear()
    assert main(["tasks", "run", "repairs.auto_cancel", "--as-of", "2030-01-01T00:00:00Z"]) == 2
    assert "refused when FREIGHT_ENV=production" in capsys.readouterr().err
