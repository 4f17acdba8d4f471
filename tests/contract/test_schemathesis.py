"""The OpenAPI document is the contract (SPEC §10): Schemathesis, with every check, over every
operation of a live `freight serve` on SQLite and on PostgreSQL, with staff, finance and admin
tokens; any 5xx or conformance failure fails the test."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

ST = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"
WEBHOOK_TOKEN = "schemathesis-webhook-token"
# Bounded for CI on a 2-core machine: a fixed seed and a few examples per operation and phase.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "8"))
SEED = 9
PG_DB = "freight_i9v_schemathesis"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _freight(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "freight.cli", *args],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return out.stdout.strip().splitlines()[-1]


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for a fresh server on the backend (a new PostgreSQL database each run)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FREIGHT_")}
    env |= {"FREIGHT_DATA_DIR": str(tmp_path / "data"), "FREIGHT_WEBHOOK_TOKEN": WEBHOOK_TOKEN}
    if request.param == "sqlite":
        yield env
        return
    admin_url = request.getfixturevalue("pg_url")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{PG_DB}"'))
    env["FREIGHT_DATABASE_URL"] = admin_url.rsplit("/", 1)[0] + f"/{PG_DB}"
    try:
        yield env
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def server(backend: dict[str, str], tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "freight.cli", "serve", "--port", str(port)],
        env=backend, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail("freight serve did not start:\n" + (tmp_path / "serve.log").read_text())
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def _config(env: dict[str, str]) -> str:
    """schemathesis.toml: the staff token by default, finance and admin on their operations, the
    webhook token on the carrier's route."""
    tokens = {r: _freight(env, "tokens", "create", "--role", r, "--name", f"st-{r}") for r in
              ("staff", "finance", "admin")}  # fmt: skip

    def auth(role: str) -> str:
        return "headers = { Authorization = " + json.dumps(f"Bearer {tokens[role]}") + " }"

    return "\n".join(
        [
            auth("staff"),
            "[generation]",
            f"max-examples = {MAX_EXAMPLES}",
            "deterministic = true",
            "database = 'none'",
            "[[operations]]",
            'include-tag = "finance"',
            auth("finance"),
            "[[operations]]",
            'include-tag = "audit"',
            auth("admin"),
            "[[operations]]",
            'include-tag = "webhooks"',
            'parameters = { "query.token" = ' + json.dumps(WEBHOOK_TOKEN) + " }",
            # What OpenAPI cannot say: a CSV's rows, a carrier's tracking-number formats, a file
            # judged by its content, a day with labels and business hours (manifests, pickups).
            # These may answer 422 to schema-valid input; every other
            # check still applies to them.
            "[[operations]]",
            'include-path-regex = "carrier-invoices|warranty/registrations|inbound-shipments$'
            '|documents$|^/api/v1/manifests$|^/api/v1/pickups$"',
            "checks.positive_data_acceptance.expected-statuses = "
            '["2xx", "401", "403", "404", "409", "422"]',
            # Advance replacement: whether a part has a list price (FREIGHT_REPLACEMENT_PRICES),
            # the RR is awaiting its unit, or a card token is one the processor knows and accepts.
            "[[operations]]",
            'include-path-regex = "advance-replacement(/card)?$"',
            "checks.positive_data_acceptance.expected-statuses = "
            '["2xx", "401", "402", "403", "404", "409", "422"]',
            # A carrier scan's time is checked against the service's clock and the year bounds
            # (SPEC §10), which a date-time format cannot say: such a body is a 400.
            "[[operations]]",
            'include-path-regex = "^/webhooks/shippo$"',
            'parameters = { "query.token" = ' + json.dumps(WEBHOOK_TOKEN) + " }",
            'checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401"]',
        ]
    )


def test_the_openapi_document_is_the_contract(
    server: str, backend: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "schemathesis.toml").write_text(_config(backend))
    report = tmp_path / "report.json"
    # Stripe signs each delivery over its body with a secret only Stripe holds: a generated body
    # can carry no valid signature (tests/integration covers that route with signed events).
    run = subprocess.run(
        [
            ST, "--config-file", str(tmp_path / "schemathesis.toml"), "run",
            f"{server}/openapi.json", "--checks", "all", "--phases", "examples,coverage,fuzzing",
            "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED), "--workers", "2",
            "--exclude-path", "/webhooks/stripe", "--no-color",
            "--report", "json", "--report-json-path", str(report),
        ],
        capture_output=True, text=True, timeout=240, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-3000:]
