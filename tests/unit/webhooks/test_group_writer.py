"""The group writer's promises on a fake connection: batches, duplicates, failures, cancels."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine

from freight.webhooks import repository as repo
from freight.webhooks.group import GroupWriter, Row

NOW = datetime(2026, 11, 3, 10, tzinfo=UTC)


class FakePool:
    @asynccontextmanager
    async def connection(self, fresh: bool = False) -> AsyncIterator[object]:  # noqa: ARG002
        yield object()


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[list[dict[str, Any]]]:
    """Every statement's rows; a statement takes 20 ms and stores keys it has not seen."""
    seen: set[str] = set()
    calls: list[list[dict[str, Any]]] = []

    async def insert(_conn: object, rows_json: str, **_: Any) -> set[str]:
        rows = json.loads(rows_json)
        calls.append(rows)
        await asyncio.sleep(0.02)
        if any(r["k"] == "poison" for r in rows):
            raise ValueError("bad row")
        fresh = {r["j"] for r in rows if r["k"] not in seen}
        seen.update(r["k"] for r in rows)
        return fresh

    monkeypatch.setattr(repo, "insert_batch_with_jobs_pg", insert)
    return calls


def _row(key: str, job: str) -> Row:
    return Row(key, "track_updated", '{"event":"track_updated"}', NOW, job)


def _writer() -> GroupWriter:
    return GroupWriter(FakePool(), create_engine("sqlite://"), "webhooks.process")  # type: ignore[arg-type]


def test_concurrent_writes_share_statements_and_duplicates_are_told(
    statements: list[list[dict[str, Any]]],
) -> None:
    async def main() -> list[bool]:
        writer = _writer()
        rows = [_row(f"k{i}", f"j{i}") for i in range(10)] + [_row("k3", "j3-again")]
        return await asyncio.gather(*(writer.write(r) for r in rows))

    results = asyncio.run(main())
    assert results == [True] * 10 + [False]
    assert len(statements) < 11  # group commit: fewer statements than deliveries
    assert statements[0][0]["p"] == {"event": "track_updated"}  # the delivery's text, spliced in


@pytest.mark.usefixtures("statements")
def test_a_bad_row_fails_alone() -> None:
    async def main() -> list[Any]:
        writer = _writer()
        rows = [_row("a", "ja"), _row("poison", "jp"), _row("b", "jb")]
        return await asyncio.gather(*(writer.write(r) for r in rows), return_exceptions=True)

    a, poison, b = asyncio.run(main())
    assert (a, b) == (True, True)
    assert isinstance(poison, ValueError)


def test_a_cancelled_delivery_does_not_cancel_its_batch(
    statements: list[list[dict[str, Any]]],
) -> None:
    async def main() -> tuple[bool, bool]:
        writer = _writer()
        first = asyncio.create_task(writer.write(_row("x", "jx")))
        await asyncio.sleep(0)  # x's statement is now in flight
        doomed = asyncio.create_task(writer.write(_row("y", "jy")))
        kept = asyncio.create_task(writer.write(_row("z", "jz")))
        await asyncio.sleep(0.005)
        doomed.cancel()  # the client went away while y and z waited for the next statement
        with pytest.raises(asyncio.CancelledError):
            await doomed
        return await first, await kept

    assert asyncio.run(main()) == (True, True)
    # y was still written with z (stored once; a retry of y will be a duplicate, not a loss)
    assert sorted(r["k"] for r in statements[-1]) == ["y", "z"]
