"""Apply Alembic migrations programmatically (used by `freight migrate` and `freight serve`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from freight.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(settings: Settings) -> None:
    """Bring the configured database to the newest schema (creating the SQLite file if needed)."""
    if settings.db_url.startswith("sqlite:///"):
        Path(settings.db_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings.db_url), "head")
