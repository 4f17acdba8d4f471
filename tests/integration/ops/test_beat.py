"""Two beats really running: one schedules, the other waits and takes over; fresh heartbeats."""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.ops.conftest import FREIGHT
from tests.integration.worker.conftest import Proc, wait_for

SENDING = "Sending due task jobs.relay"


def _sent(proc: Proc) -> int:
    return proc.log().count(SENDING)


def _heartbeat(beat_dir: Path) -> dict[str, object]:
    path = beat_dir / "beat.heartbeat"
    return json.loads(path.read_text()) if path.exists() else {}


def _fresh(beat_dir: Path, role: str, within: float = 20) -> bool:
    beat = _heartbeat(beat_dir)
    return beat.get("role") == role and time.time() - float(beat.get("at", 0)) < within  # type: ignore[arg-type]


@pytest.fixture(params=["postgresql", "sqlite"])
def beat_env(request: pytest.FixtureRequest, base_env: dict[str, str]) -> dict[str, str]:
    env = {**base_env, "FREIGHT_RELAY_INTERVAL_SECONDS": "1",
           "FREIGHT_TASK_QUEUE": f"beat-{uuid.uuid4().hex[:8]}"}  # fmt: skip
    if request.param == "postgresql":
        env["FREIGHT_DATABASE_URL"] = request.getfixturevalue("fresh_pg")
        env["FREIGHT_REDIS_URL"] = request.getfixturevalue("redis_url")
    subprocess_migrate(env)
    return env


def subprocess_migrate(env: dict[str, str]) -> None:
    import subprocess

    done = subprocess.run([*FREIGHT, "migrate"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_two_beats_schedule_once_and_the_standby_takes_over(
    beat_env: dict[str, str], spawn: Callable[..., Proc], tmp_path: Path
) -> None:
    dirs = {name: tmp_path / name for name in ("one", "two")}
    one = spawn("beat-one", [*FREIGHT, "beat"], {**beat_env, "FREIGHT_BEAT_DIR": str(dirs["one"])})
    wait_for(lambda: _sent(one) >= 2, 60, "the first beat to schedule", diagnose=one.log)
    two = spawn("beat-two", [*FREIGHT, "beat"], {**beat_env, "FREIGHT_BEAT_DIR": str(dirs["two"])})
    wait_for(lambda: "beat.standby" in two.log(), 60, "the second beat to stand by",
             diagnose=two.log)  # fmt: skip

    # Both run for a while: only the first one sends anything; both heartbeats are fresh.
    before = _sent(one)
    wait_for(
        lambda: _sent(one) >= before + 5, 60, "the leader to keep scheduling", diagnose=one.log
    )
    assert _sent(two) == 0, two.log()
    assert _fresh(dirs["one"], "leader"), _heartbeat(dirs["one"])
    assert _fresh(dirs["two"], "standby"), _heartbeat(dirs["two"])

    # The leader dies without a goodbye: the standby takes over and schedules.
    one.signal(signal.SIGKILL)
    wait_for(lambda: _sent(two) >= 2, 60, "the standby to take over", diagnose=two.log)
    assert "beat.leader" in two.log()
    wait_for(lambda: _fresh(dirs["two"], "leader"), 30, "the new leader's heartbeat")


def test_the_leader_heartbeat_keeps_beating_between_ticks(
    beat_env: dict[str, str], spawn: Callable[..., Proc], tmp_path: Path
) -> None:
    """The healthcheck allows 60 s: the heartbeat is rewritten well inside that, every time."""
    beat = spawn("beat", [*FREIGHT, "beat"], {**beat_env, "FREIGHT_BEAT_DIR": str(tmp_path / "b"),
                                             "FREIGHT_RELAY_INTERVAL_SECONDS": "300"})  # fmt: skip
    wait_for(lambda: _fresh(tmp_path / "b", "leader", within=5), 60, "a heartbeat",
             diagnose=beat.log)  # fmt: skip
    first = _heartbeat(tmp_path / "b")["at"]
    wait_for(lambda: _heartbeat(tmp_path / "b")["at"] != first, 30, "the next heartbeat",
             diagnose=beat.log)  # fmt: skip


def test_a_leader_that_loses_its_lock_stops_itself(
    fresh_pg: str, redis_url: str, base_env: dict[str, str], spawn: Callable[..., Proc],
    tmp_path: Path,
) -> None:  # fmt: skip
    from sqlalchemy import create_engine, text

    from worker.beat import BEAT_LOCK_ID, LOST_EXIT_CODE

    env = {**base_env, "FREIGHT_DATABASE_URL": fresh_pg, "FREIGHT_REDIS_URL": redis_url,
           "FREIGHT_TASK_QUEUE": f"beat-{uuid.uuid4().hex[:8]}",
           "FREIGHT_BEAT_DIR": str(tmp_path / "b")}  # fmt: skip
    subprocess_migrate(env)
    beat = spawn("beat", [*FREIGHT, "beat"], env)
    wait_for(lambda: "beat.leader" in beat.log(), 60, "leadership", diagnose=beat.log)
    admin = create_engine(fresh_pg.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:  # what a PostgreSQL restart or failover does to the session
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_locks "
                 "WHERE locktype = 'advisory' AND objid = :k"), {"k": BEAT_LOCK_ID},
        )  # fmt: skip
    admin.dispose()
    assert beat.popen is not None
    assert beat.popen.wait(timeout=60) == LOST_EXIT_CODE, beat.log()
    assert "beat.leader.lost" in beat.log()
