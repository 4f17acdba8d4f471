"""`freight serve --demo` prints staff and finance sign-ins that work on the pages' API."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from freight.demo import load_demo
from freight.settings import Settings


def test_demo_prints_logins_that_sign_in_with_their_roles(
    settings: Settings, client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    load_demo(settings, login_url="http://127.0.0.1:8123/login")
    out = capsys.readouterr().out
    assert "demo sign-in at http://127.0.0.1:8123/login:" in out
    logins = re.findall(r"^\s+(staff|finance|admin)\s+(\S+@\S+)\s+password: (\S+)$", out, re.M)
    assert [role for role, _, _ in logins] == ["staff", "finance", "admin"]
    for role, email, password in logins:
        resp = client.post("/api/v1/session", json={"email": email, "password": password})
        assert resp.status_code == 200, resp.text
        assert resp.json()["user"]["role"] == role
    # A second start prints fresh passwords; the old ones stop working.
    load_demo(settings)
    again = capsys.readouterr().out
    _, email, old = logins[0]
    assert old not in again
    stale = client.post("/api/v1/session", json={"email": email, "password": old})
    assert stale.status_code == 401
