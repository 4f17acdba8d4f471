"""The policy text that ships with the product, or the file FREIGHT_POLICY_FILE names."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from freight.agreement.rules import PolicyDocument, policy_document
from freight.settings import Settings

SHIPPED = Path(__file__).with_name("return-policy.txt")


def policy_path(settings: Settings) -> Path:
    return settings.policy_file or SHIPPED


def current_policy(settings: Settings) -> PolicyDocument:
    """The current policy document (re-read when the file changes, so no restart is needed)."""
    path = policy_path(settings)
    stat = path.stat()
    return _load(str(path), stat.st_mtime_ns, stat.st_size, settings.policy_effective_date)


@lru_cache(maxsize=4)
def _load(path: str, _mtime: int, _size: int, effective: date) -> PolicyDocument:
    text = Path(path).read_text(encoding="utf-8")
    return policy_document(text, effective_date=effective)
