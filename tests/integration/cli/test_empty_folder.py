"""Each newcomer's command as a subprocess in a new empty folder (cwd), with no FREIGHT_*
variable from the developer's shell: what it prints, and that it works."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.integration.cli.test_users_cli import _freight

NEW_DB_WARNING = "did not exist and was created empty just now"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_up(url: str, proc: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def _start(cwd: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FREIGHT_")}
    return subprocess.Popen(
        [sys.executable, "-m", "freight.cli", *args], cwd=cwd, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip


def _stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    os.killpg(proc.pid, 15)
    try:
        return proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        return proc.communicate()


def test_sandbox_carrier_starts_in_an_empty_folder(tmp_path: Path) -> None:
    port = _free_port()
    proc = _start(tmp_path, "sandbox-carrier", "--port", str(port))
    try:
        _wait_up(f"http://127.0.0.1:{port}/sandbox/health", proc)
        labels = httpx.get(f"http://127.0.0.1:{port}/sandbox/labels", timeout=5)
        assert labels.status_code == 200
    finally:
        out, err = _stop(proc)
    assert "unable to open database file" not in err
    assert (tmp_path / ".freight" / "sandbox-carrier.db").exists()
    assert f"sandbox carrier on http://127.0.0.1:{port}" in out


def test_sandbox_carrier_on_a_port_in_use_says_so_without_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = _start(tmp_path, "sandbox-carrier", "--port", str(port))
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3
    assert f"cannot listen on 127.0.0.1:{port}" in err
    assert "--port" in err
    assert "Traceback" not in err


def test_tasks_lists_every_periodic_task_with_what_it_does(tmp_path: Path) -> None:
    for args in (("tasks",), ("tasks", "list")):
        listed = _freight(tmp_path, *args)
        assert listed.returncode == 0, listed.stderr
        lines = listed.stdout.splitlines()
        names = [line.split()[0] for line in lines]
        assert names == sorted(names)
        assert {"tracking.poll", "repairs.auto_cancel", "quotes.expire", "jobs.relay"} <= set(names)
        poll = next(line for line in lines if line.startswith("tracking.poll "))
        assert "every 10min" in poll
        assert "Refresh active trackers" in poll
        assert "freight tasks run NAME" in listed.stderr
    ran = _freight(tmp_path, "tasks", "run", "quotes.expire")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("quotes.expire as of ")


def test_tokens_create_says_which_database_and_warns_when_it_is_new(tmp_path: Path) -> None:
    db = tmp_path / ".freight" / "freight.db"
    first = _freight(tmp_path, "tokens", "create", "--role", "staff", "--name", "desk")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0] == f"database: sqlite:///{db}"
    assert first.stdout.strip().splitlines()[-1].startswith("rrf_")
    assert NEW_DB_WARNING in first.stderr
    assert f"sqlite:///{db}" in first.stderr

    again = _freight(tmp_path, "tokens", "create", "--role", "staff", "--name", "desk2")
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0] == f"database: sqlite:///{db}"
    assert NEW_DB_WARNING not in again.stderr  # the same database as before: nothing to warn of

    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    lost = _freight(elsewhere, "tokens", "create", "--role", "staff", "--name", "oops")
    assert f"database: sqlite:///{elsewhere / '.freight' / 'freight.db'}" in lost.stdout
    assert NEW_DB_WARNING in lost.stderr


def test_serve_answers_the_sandbox_control_paths(tmp_path: Path) -> None:
    port = _free_port()
    proc = _start(tmp_path, "serve", "--port", str(port), "--workers", "2")
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(f"{base}/healthz", proc, 90)
        assert httpx.get(f"{base}/sandbox/health", timeout=5).status_code == 200
        assert httpx.get(f"{base}/sandbox/labels", timeout=5).status_code == 200
        unknown = httpx.post(f"{base}/sandbox/tracks/NOPE/advance", json={}, timeout=5)
        assert unknown.status_code == 404
        assert "No sandbox track" in unknown.json()["detail"]
        # Two uvicorn processes, one budget; a client's own X-Forwarded-For is not believed.
        lookup = {"rr_number": "RR-ABCD2345", "email": "eve@example.com"}
        codes = [
            httpx.post(f"{base}/api/v1/track/lookup", json=lookup, timeout=10,
                       headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
            for i in range(14)
        ]  # fmt: skip
        assert codes == [404] * 10 + [429] * 4
    finally:
        _stop(proc)


RR_BODY = {
    "serial_number": "SN-EMPTY-1", "part_number": "MAX-1000", "product_description": "MAXCS card",
    "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
    "return_address": {"name": "Ada Lovelace", "street1": "1 Infinite Loop", "city": "Cupertino",
                       "state": "CA", "postal_code": "95014", "country": "US"},
    "proof_of_purchase": {"document_type": "invoice", "reference": "INV-42"},
}  # fmt: skip
PARCEL = {
    "length": 12,
    "width": 9,
    "height": 4,
    "distance_unit": "in",
    "weight": 3,
    "mass_unit": "lb",
}


def _until(what: str, check: object, seconds: float = 60) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = check()  # type: ignore[operator]
        if got:
            return got
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_serve_alone_can_deliver_an_outbound_shipment(tmp_path: Path) -> None:
    """README's way: buy the label, then advance the sandbox track until it is delivered."""
    port = _free_port()
    proc = _start(tmp_path, "serve", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(f"{base}/healthz", proc, 90)
        token = _freight(tmp_path, "tokens", "create", "--role", "staff", "--name", "desk")
        h = {"Authorization": f"Bearer {token.stdout.strip().splitlines()[-1]}"}
        with httpx.Client(base_url=f"{base}/api/v1", headers=h, timeout=30) as api:
            rr = api.post("/repair-requests", json=RR_BODY).json()["rr_number"]
            receipt = {"rr_marked_on_carton": True, "freight_collect": False,
                       "visible_damage": False, "serial_number_seen": "SN-EMPTY-1"}  # fmt: skip
            assert api.post(f"/repair-requests/{rr}/receipt", json=receipt).status_code == 200
            for status in ("in_repair", "ready_to_ship"):
                moved = api.post(f"/repair-requests/{rr}/status", json={"status": status})
                assert moved.status_code == 200, moved.text
            made = api.post(f"/repair-requests/{rr}/outbound-shipments", json={"parcel": PARCEL})
            assert made.status_code == 201, made.text
            shipment = made.json()["id"]

            def bought() -> str | None:
                number: str | None = api.get(f"/shipments/{shipment}").json().get("tracking_number")
                return number

            number = str(_until("the label, bought by the worker", bought, 90))
            advanced = httpx.post(
                f"{base}/sandbox/tracks/{number}/advance", json={"steps": 10}, timeout=30
            )
            assert advanced.status_code == 200, advanced.text
            assert advanced.json()["tracking_status"]["status"] == "DELIVERED"

            def delivered() -> bool:
                return bool(api.get(f"/shipments/{shipment}").json()["status"] == "DELIVERED")

            _until("the shipment to show DELIVERED", delivered, 90)
    finally:
        _stop(proc)
