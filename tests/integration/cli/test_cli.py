"""The `freight` command as an operator uses it (a real subprocess, SQLite embedded default)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from freight.app import create_app
from freight.settings import Settings


def _freight(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FREIGHT_")}
    env["FREIGHT_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "freight.cli", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_tokens_create_prints_token_alone_on_last_line_and_it_works(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = _freight("tokens", "create", "--role", "staff", "--name", "desk", data_dir=data)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("rrf_")
    assert " " not in token
    app = create_app(Settings(data_dir=data))
    with TestClient(app) as client:
        ok = client.get("/api/v1/repair-requests", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
    db = (data / "freight.db").read_bytes()
    assert token.encode() not in db  # stored hashed only


def test_tokens_create_refuses_unknown_role(tmp_path: Path) -> None:
    result = _freight("tokens", "create", "--role", "root", "--name", "x", data_dir=tmp_path)
    assert result.returncode != 0
    assert "root" in result.stderr


def test_migrate_creates_the_sqlite_database(tmp_path: Path) -> None:
    result = _freight("migrate", data_dir=tmp_path / "d")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "d" / "freight.db").exists()
    assert "database at head" in result.stdout
