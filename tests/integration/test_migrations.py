"""The same migrations build the schema on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

import uuid
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, inspect, text

from freight.migrate import alembic_config
from freight.models import Base


def _upgrade_and_check(url: str) -> set[str]:
    cfg = alembic_config(url)
    command.upgrade(cfg, "head")
    command.check(cfg)  # raises if the models and the migrations disagree
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_on_sqlite(tmp_path: Path) -> None:
    tables = _upgrade_and_check(f"sqlite:///{tmp_path / 'm.db'}")
    assert set(Base.metadata.tables) <= tables


def test_migrations_on_postgresql(pg_url: str) -> None:
    name = f"freight_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        pg_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        tables = _upgrade_and_check(pg_url.rsplit("/", 1)[0] + f"/{name}")
        assert set(Base.metadata.tables) <= tables
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
