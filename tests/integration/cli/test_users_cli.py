"""`freight users …` and `freight tokens …` as a new operator runs them: a real subprocess in an
empty folder, no FREIGHT_* variables (so the default database, .freight/freight.db, is used)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from freight.app import create_app
from freight.settings import Settings

PASSWORD = "correct horse battery"


def _freight(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FREIGHT_")}
    return subprocess.run(
        [sys.executable, "-m", "freight.cli", *args],
        cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _client(folder: Path) -> TestClient:
    return TestClient(create_app(Settings(data_dir=folder / ".freight")))


def test_users_from_an_empty_folder(tmp_path: Path) -> None:
    db = tmp_path / ".freight" / "freight.db"
    listed = _freight(tmp_path, "users", "list")
    assert listed.returncode == 0, listed.stderr
    assert f"database: sqlite:///{db}" in listed.stdout
    assert "no accounts yet" in listed.stdout
    # No migration chatter for a person at a terminal: only the warning that the database is new.
    assert listed.stderr.splitlines() == [
        f"warning: sqlite:///{db} did not exist and was created empty just now; a server using "
        "another database will not know what this command makes (set FREIGHT_DATA_DIR or "
        "FREIGHT_DATABASE_URL as the server has them)"
    ]

    made = _freight(
        tmp_path, "users", "create", "--email", "Dana@Example.com", "--name", "Dana Desk",
        "--role", "staff", "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "created staff account dana@example.com (Dana Desk)" in made.stdout
    stored = b"".join(p.read_bytes() for p in db.parent.glob("freight.db*"))  # with its WAL
    assert PASSWORD.encode() not in stored  # Argon2id hash only
    assert b"$argon2id$" in stored
    with _client(tmp_path) as client:
        resp = client.post(
            "/api/v1/session", json={"email": "dana@example.com", "password": PASSWORD}
        )
        assert resp.status_code == 200, resp.text

    weak = _freight(
        tmp_path, "users", "create", "--email", "x@example.com", "--name", "X", "--role", "staff",
        "--password-stdin", stdin="short\n",
    )  # fmt: skip
    assert weak.returncode == 2
    assert "password: must be at least 12 characters" in weak.stderr
    twice = _freight(
        tmp_path, "users", "create", "--email", "dana@example.com", "--name", "D", "--role", "staff"
    )
    assert twice.returncode == 2
    assert "already exists" in twice.stderr


def test_create_without_password_prints_a_link_that_sets_it(tmp_path: Path) -> None:
    made = _freight(
        tmp_path,
        "users",
        "create",
        "--email",
        "felix@example.com",
        "--name",
        "Felix Ledger",
        "--role",
        "finance",
    )
    assert made.returncode == 0, made.stderr
    link = made.stdout.strip().splitlines()[-1]
    assert link.startswith("http://127.0.0.1:8000/set-password#token=")
    assert "link sent" in _freight(tmp_path, "users", "list").stdout
    with _client(tmp_path) as client:
        token = link.split("#token=")[1]
        resp = client.post("/api/v1/set-password", json={"token": token, "password": PASSWORD})
        assert resp.status_code == 200, resp.text
        assert resp.json()["user"]["role"] == "finance"
    assert "active" in _freight(tmp_path, "users", "list").stdout
    reset = _freight(tmp_path, "users", "reset-password", "--email", "felix@example.com")
    assert reset.returncode == 0
    assert "#token=" in reset.stdout.strip().splitlines()[-1]


def test_disable_ends_sessions_and_refuses_sign_in(tmp_path: Path) -> None:
    _freight(
        tmp_path, "users", "create", "--email", "dana@example.com", "--name", "Dana Desk",
        "--role", "staff", "--password-stdin", stdin=PASSWORD,
    )  # fmt: skip
    with _client(tmp_path) as client:
        assert (
            client.post(
                "/api/v1/session", json={"email": "dana@example.com", "password": PASSWORD}
            ).status_code
            == 200
        )
        off = _freight(tmp_path, "users", "disable", "--email", "dana@example.com")
        assert off.returncode == 0, off.stderr
        assert "disabled dana@example.com; 1 session(s) ended" in off.stdout
        assert client.get("/api/v1/session").status_code == 401
        assert (
            client.post(
                "/api/v1/session", json={"email": "dana@example.com", "password": PASSWORD}
            ).status_code
            == 401
        )
        assert "disabled" in _freight(tmp_path, "users", "list").stdout
        on = _freight(tmp_path, "users", "enable", "--email", "dana@example.com")
        assert on.returncode == 0
        assert (
            client.post(
                "/api/v1/session", json={"email": "dana@example.com", "password": PASSWORD}
            ).status_code
            == 200
        )
    missing = _freight(tmp_path, "users", "disable", "--email", "nobody@example.com")
    assert missing.returncode == 2
    assert "No account for nobody@example.com" in missing.stderr


def test_tokens_list_and_revoke(tmp_path: Path) -> None:
    assert "no API tokens yet" in _freight(tmp_path, "tokens", "list").stdout
    made = _freight(tmp_path, "tokens", "create", "--role", "staff", "--name", "label-printer")
    token = made.stdout.strip().splitlines()[-1]
    listed = _freight(tmp_path, "tokens", "list").stdout
    assert "database: sqlite:///" in listed
    row = next(line for line in listed.splitlines() if "label-printer" in line)
    assert row.split()[:2] == ["1", "staff"]
    assert "active" in row
    assert token not in listed
    with _client(tmp_path) as client:
        bearer = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/repair-requests", headers=bearer).status_code == 200
        revoked = _freight(tmp_path, "tokens", "revoke", "--id", "1")
        assert revoked.returncode == 0, revoked.stderr
        assert client.get("/api/v1/repair-requests", headers=bearer).status_code == 401
    assert "revoked" in _freight(tmp_path, "tokens", "list").stdout
    unknown = _freight(tmp_path, "tokens", "revoke", "--id", "99")
    assert unknown.returncode == 2
    assert "No API token has id 99" in unknown.stderr
