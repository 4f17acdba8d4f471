"""`freight serve` as a newcomer runs it (uvicorn, with the real Celery worker and beat beside it):
everything the process group writes — uvicorn's own lines, the JSON access log, application and
exception logs, the worker's task logs, the shutdown — holds no secret a request carried.
(gunicorn's logs: tests/integration/ops/test_gunicorn.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.integration.cli.test_empty_folder import _free_port, _stop, _wait_up

WEBHOOK_TOKEN = "hook-secret-5d1e7c3b9a2f4e6d8c0b"
SECRET_KEY = "key-secret-8a6c4e2f0b1d3f5a7c9e"
BOGUS_BEARER = "rrf_bogus_but_secret_3c5e7a9b1d2f4a6c"
WRONG_TOKEN = "wrong-hook-secret-7e9a1c3e5b7d"


def _event(number: str, note: str) -> dict[str, object]:
    return {
        "event": "track_updated", "test": True,
        "data": {"carrier": "usps", "tracking_number": number,
                 "tracking_status": {"status": "TRANSIT", "status_details": note,
                                     "status_date": "2026-11-02T10:00:00Z"}},
    }  # fmt: skip


def test_serve_logs_carry_no_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FREIGHT_")}
    env |= {"FREIGHT_WEBHOOK_TOKEN": WEBHOOK_TOKEN, "FREIGHT_SECRET_KEY": SECRET_KEY}
    port, log = _free_port(), tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "freight.cli", "serve", "--port", str(port)], cwd=tmp_path,
            env=env, stdout=out, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(f"{base}/healthz", proc, 90)
        made = subprocess.run(
            [sys.executable, "-m", "freight.cli", "tokens", "create", "--role", "staff",
             "--name", "logs"], cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        staff = made.stdout.strip().splitlines()[-1]
        with httpx.Client(base_url=base, timeout=10) as http:
            # The query-string form, the header form, a wrong token, and a malformed body.
            assert (
                http.post(
                    f"/webhooks/shippo?token={WEBHOOK_TOKEN}",
                    json=_event("9400100000000000000001", "query"),
                ).status_code
                == 202
            )
            # The header form of the token is accepted and never logged either.
            header = {"X-Freight-Webhook-Token": WEBHOOK_TOKEN}
            delivery = http.post(
                "/webhooks/shippo?x=1", headers=header, json=_event("9400100000000000000002", "h")
            )
            assert delivery.status_code == 202, delivery.text
            assert (
                http.post(f"/webhooks/shippo?x=1&token={WRONG_TOKEN}", json={}).status_code == 401
            )
            assert (
                http.post(
                    f"/webhooks/shippo?token={WEBHOOK_TOKEN}", content=b"{not json"
                ).status_code
                == 400
            )
            # Secrets inside an event reach the worker's task logs (masked there).
            http.post(f"/webhooks/shippo?token={WEBHOOK_TOKEN}",
                      json=_event(f"{WEBHOOK_TOKEN}", f"Bearer {staff}"))  # fmt: skip
            auth = {"Authorization": f"Bearer {staff}"}
            assert http.get("/api/v1/repair-requests", headers=auth).status_code == 200
            bogus = {"Authorization": f"Bearer {BOGUS_BEARER}"}
            assert http.get("/api/v1/repair-requests", headers=bogus).status_code == 401
            assert http.get(f"/api/v1/repair-requests?token={BOGUS_BEARER}").status_code == 401

            def settled() -> bool:
                events = http.get("/api/v1/webhook-events", headers=auth).json()
                return len(events) >= 2 and all(e["processed_at"] for e in events)

            deadline = time.monotonic() + 90
            while not settled():
                assert time.monotonic() < deadline, "the worker did not process the events"
                time.sleep(0.5)
    finally:
        _stop(proc)
    text = log.read_text(errors="replace")
    assert '"path": "/webhooks/shippo?token=***"' in text  # the access log is there, masked
    assert "worker" in text
    for secret in (WEBHOOK_TOKEN, SECRET_KEY, staff, BOGUS_BEARER, WRONG_TOKEN):
        assert text.count(secret) == 0, secret
