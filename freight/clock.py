"""The one source of "now" for edges (routes, tasks); services take `now` as a parameter."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
