"""With a real Shippo key, every carrier call takes its slot from the shared limiter."""

from __future__ import annotations

from pathlib import Path

from carriers.shippo.session import TimeoutSession
from freight.ports import carrier_port
from freight.ratelimit import Limiter
from freight.ratelimit.store import SqliteWindowStore
from freight.settings import Settings


def test_a_live_key_gets_the_shared_limiter_and_the_sandbox_none(tmp_path: Path) -> None:
    live = Settings(data_dir=tmp_path / "a", shippo_api_key="shippo_live_abc")
    session = carrier_port(live).session  # type: ignore[attr-defined]
    assert isinstance(session, TimeoutSession)
    assert isinstance(session.gate, Limiter)
    assert isinstance(session.gate.store, SqliteWindowStore)  # no Redis: the data dir's file
    assert Path(session.gate.store.path) == live.data_dir / "ratelimit.db"
    sandbox = carrier_port(Settings(data_dir=tmp_path / "b")).session  # type: ignore[attr-defined]
    assert sandbox.gate is None


def test_production_refuses_test_mode_carrier_answers_unless_on_the_sandboxes_on_purpose(
    tmp_path: Path,
) -> None:
    from freight.ports import carrier_config

    base = Settings(data_dir=tmp_path)
    production = base.model_copy(update={"env": "production"})
    staging = base.model_copy(update={"env": "production", "allow_sandbox": True})
    assert carrier_config(production).live_only is True
    assert carrier_config(staging).live_only is False
    assert carrier_config(base).live_only is False


def test_the_label_budget_is_the_setting_shared_by_every_worker(tmp_path: Path) -> None:
    from freight.ports import carrier_config

    live = Settings(data_dir=tmp_path, shippo_api_key="shippo_live_abc")
    assert carrier_config(live).rate_limit_overrides == {"transactions:write": 500}
    raised = live.model_copy(update={"carrier_rate_per_minute": 1200})
    assert carrier_config(raised).rate_limit_overrides == {"transactions:write": 1200}
    test_key = live.model_copy(update={"shippo_api_key": "shippo_test_abc"})
    assert carrier_config(test_key).rate_limit_overrides == {"transactions:write": 50}
    session = carrier_port(raised).session  # type: ignore[attr-defined]
    assert session._overrides == {"transactions:write": 1200}
