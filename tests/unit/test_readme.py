"""The README stays true: both set-up commands, and every setting in the configuration table."""

from __future__ import annotations

from pathlib import Path

from freight.settings import Settings

README = (Path(__file__).parents[2] / "README.md").read_text()


def test_every_setting_is_documented_with_its_variable_name() -> None:
    missing = [n for n in Settings.model_fields if f"`FREIGHT_{n.upper()}`" not in README]
    assert missing == []


INSTALL = "python3 -m venv .venv && .venv/bin/pip install -r {lock} && " \
    ".venv/bin/pip install --no-deps --no-build-isolation -e . && "  # fmt: skip


def test_the_two_fresh_machine_commands_are_there() -> None:
    assert INSTALL.format(lock="requirements.lock") + ".venv/bin/freight serve\n" in README
    assert INSTALL.format(lock="requirements-test.lock") + ".venv/bin/pytest\n" in README


def test_ci_installs_what_the_readme_says() -> None:
    ci = (Path(__file__).parents[2] / ".ci" / "run").read_text()
    assert "pip install --quiet -r requirements-test.lock" in ci
    assert "pip install --quiet --no-deps --no-build-isolation -e ." in ci
