"""Accounts made through the service, signed in through the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker

from freight.auth import accounts
from freight.db import engine_for
from freight.settings import Settings
from tests.integration.conftest import Clock

PASSWORD = "correct horse battery"


@pytest.fixture
def make_user(settings: Settings, clock: Clock) -> Callable[..., str]:
    """Create an account (with PASSWORD unless told otherwise); returns its set-password link
    when made without one."""

    def make(
        email: str, role: str = "staff", *, name: str = "Dana Desk", password: str | None = PASSWORD
    ) -> str:
        factory = sessionmaker(bind=engine_for(settings.db_url))
        with factory.begin() as s:
            new = accounts.create_user(
                s, email=email, name=name, role=role, password=password, actor="test",
                now=clock.now, settings=settings,
            )  # fmt: skip
        return new.password_link or ""

    return make


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    """Sign in (the client keeps the cookies); the session body."""
    resp = client.post("/api/v1/session", json={"email": email, "password": password})
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body
