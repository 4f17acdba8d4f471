from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from freight.settings import DEFAULT_NORTH_AMERICA, Settings


def test_country_lists_accept_commas_and_keep_namibia(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FREIGHT_NORTH_AMERICA", "US, ca,NA")
    monkeypatch.setenv("FREIGHT_EXTRA_CLOSURES", "2026-12-24,2026-12-31")
    s = Settings()
    assert s.north_america == ["US", "CA", "NA"]
    assert s.extra_closures == [date(2026, 12, 24), date(2026, 12, 31)]


def test_defaults_are_the_reviewed_list_and_embedded_sqlite(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path)
    assert s.north_america == DEFAULT_NORTH_AMERICA
    assert len(DEFAULT_NORTH_AMERICA) == 45  # 5 + 8 + 28 + 4 (SPEC §2)
    assert s.db_url.startswith("sqlite:///")
    assert s.embedded


def test_production_refuses_default_secrets() -> None:
    with pytest.raises(ValidationError, match="FREIGHT_SECRET_KEY"):
        Settings(env="production", database_url="postgresql://x/y")
    ok = Settings(
        env="production",
        database_url="postgresql://x/y",
        secret_key="k" * 32,
        webhook_token="w" * 32,
        allow_sandbox=True,
    )
    assert ok.env == "production"


def test_resellers_and_warranty_terms_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FREIGHT_AUTHORIZED_RESELLERS", "Acme Phones, Beta Telecom Inc.")
    monkeypatch.setenv("FREIGHT_WARRANTY_MONTHS", '{"max-1000": 24, "*": 6}')
    s = Settings()
    assert s.authorized_resellers == ["Acme Phones", "Beta Telecom Inc."]
    assert s.warranty_months == {"MAX-1000": 24, "*": 6}
    assert Settings(_env_file=None).policy_file is None
    monkeypatch.setenv("FREIGHT_WARRANTY_MONTHS", '{"*": -1}')
    with pytest.raises(ValidationError, match="0..600"):
        Settings()
