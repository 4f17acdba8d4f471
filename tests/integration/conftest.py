"""API + database fixtures; every test here runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from freight.app import create_app
from freight.auth.service import create_token
from freight.db import engine_for
from freight.deps import get_now
from freight.settings import Settings


def create_schema(url: str) -> None:
    """Tables from the models (migrations are checked against them in test_migrations.py)."""
    from freight.models import Base

    Base.metadata.create_all(engine_for(url))


_PG_DB = f"freight_test_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def pg_database(pg_url: str) -> Iterator[str]:
    """A throw-away PostgreSQL database for this test session, migrated to head."""
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{_PG_DB}"'))
    url = pg_url.rsplit("/", 1)[0] + f"/{_PG_DB}"
    create_schema(url)
    yield url
    engine_for(url.replace("postgresql://", "postgresql://", 1)).dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{_PG_DB}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each integration test runs once per backend; tables are emptied afterwards."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'freight.db'}"
        create_schema(url)
        yield url
        engine_for(url).dispose()
        return
    url = request.getfixturevalue("pg_database")
    yield url
    from freight.models import Base

    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine_for(url).begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


class Clock:
    """A settable clock injected as the API's `now`."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 2, 17, 0, tzinfo=UTC)  # a Monday, 09:00 in San Jose

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path / "data", env="test")


@pytest.fixture
def app(settings: Settings, clock: Clock) -> Any:
    application = create_app(settings)
    application.dependency_overrides[get_now] = clock
    return application


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def session(settings: Settings) -> Iterator[Session]:
    """A session for the test's own checks. On SQLite it runs in pysqlite's default mode, where
    reads happen outside a transaction, so (like PostgreSQL's READ COMMITTED) each query sees what
    the API committed since, instead of the snapshot an explicit BEGIN would pin."""
    engine = create_engine(settings.db_url) if settings.db_url.startswith("sqlite") else None
    factory = sessionmaker(bind=engine or engine_for(settings.db_url), expire_on_commit=False)
    with factory() as s:
        yield s
    if engine is not None:
        engine.dispose()


@pytest.fixture
def make_token(settings: Settings) -> Callable[[str], dict[str, str]]:
    """Headers carrying a fresh token for a role."""

    def make(role: str) -> dict[str, str]:
        factory = sessionmaker(bind=engine_for(settings.db_url))
        with factory.begin() as s:
            token = create_token(s, role=role, name=f"test-{role}")
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def staff(make_token: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return make_token("staff")


_serials = itertools.count(1000)


def rr_payload(**over: Any) -> dict[str, Any]:
    """A valid RR body; keyword arguments replace top-level fields."""
    body: dict[str, Any] = {
        "kind": "repair",
        "serial_number": f"SN{next(_serials)}X",
        "part_number": "MAX-1000",
        "product_description": "MAXCS phone system card",
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+1 555 0100"},
        "return_address": {
            "name": "Ada Lovelace",
            "street1": "1 Infinite Loop",
            "city": "Cupertino",
            "state": "CA",
            "postal_code": "95014",
            "country": "US",
        },
        "proof_of_purchase": {"document_type": "invoice", "reference": "INV-42"},
    }
    body.update(over)
    return body


@pytest.fixture
def open_rr(client: TestClient, staff: dict[str, str]) -> Callable[..., dict[str, Any]]:
    def make(**over: Any) -> dict[str, Any]:
        resp = client.post("/api/v1/repair-requests", json=rr_payload(**over), headers=staff)
        assert resp.status_code == 201, resp.text
        data: dict[str, Any] = resp.json()
        return data

    return make
