"""The README stays true: both set-up commands, and every setting in the configuration table."""

from __future__ import annotations

from pathlib import Path

from freight.settings import Settings

README = (Path(__file__).parents[2] / "README.md").read_text()


def test_every_setting_is_documented_with_its_variable_name() -> None:
    missing = [n for n in Settings.model_fields if f"`FREIGHT_{n.upper()}`" not in README]
    assert missing == []


def test_the_two_fresh_machine_commands_are_there() -> None:
    assert ".venv/bin/freight serve" in README
    assert ".venv/bin/pip install -e '.[test]' && .venv/bin/pytest" in README
