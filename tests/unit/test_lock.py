"""The lock files match pyproject.toml: every dependency pinned, within its range, same pins."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)", re.MULTILINE)


def _pins(name: str) -> dict[str, str]:
    return {canonicalize_name(n): v for n, v in PIN.findall((ROOT / name).read_text())}


APP, TEST = _pins("requirements.lock"), _pins("requirements-test.lock")


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [(APP, PROJECT["dependencies"]),
     (TEST, PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"])],
    ids=["requirements.lock", "requirements-test.lock"],
)  # fmt: skip
def test_every_dependency_is_pinned_within_its_range(
    lock: dict[str, str], requirements: list[str]
) -> None:
    problems = []
    for line in requirements:
        req = Requirement(line)
        pinned = lock.get(canonicalize_name(req.name))
        if pinned is None or not req.specifier.contains(pinned, prereleases=True):
            problems.append(f"{req} is locked at {pinned}")
    assert problems == [], "run: bash .ci/lock"


def test_both_locks_pin_the_same_versions() -> None:
    assert {n: v for n, v in TEST.items() if n in APP} == APP


def test_every_pin_has_hashes() -> None:
    for name in ("requirements.lock", "requirements-test.lock"):
        lines = (ROOT / name).read_text().splitlines()
        for n, line in enumerate(lines):
            if PIN.match(line):  # the pin, then its hashes on the following lines
                assert line.endswith("\\"), line
                assert lines[n + 1].strip().startswith("--hash=sha256:"), line


def test_kombu_is_the_version_the_patch_was_written_for() -> None:
    assert APP["kombu"].startswith("5.7.")
    assert APP["celery"].startswith("5.7.")
