"""After-commit publishing of outbox rows: jobs reach the broker only once their transaction
commits.

`enqueue` remembers job ids in `session.info`; when that session commits, the publisher installed
for its engine sends them to the broker and marks them `queued`. A rollback forgets them. A publish
error is logged, never raised: the rows stay `pending` and the periodic relay (`jobs.relay`)
sends them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

log = logging.getLogger("freight.jobs")

SESSION_KEY = "freight_jobs"
Publisher = Callable[[Sequence[str]], None]

# Publishers by engine URL (tests run several apps in one process).
_PUBLISHERS: dict[str, Publisher] = {}


def _engine_key(bind: Any) -> str:
    engine = getattr(bind, "engine", bind)
    return str(getattr(engine, "url", ""))


def set_publisher(engine: Engine, publisher: Publisher | None) -> None:
    """Install (or remove, with None) the publisher for sessions bound to this engine."""
    key = _engine_key(engine)
    if publisher is None:
        _PUBLISHERS.pop(key, None)
    else:
        _PUBLISHERS[key] = publisher


def has_publisher(engine: Engine) -> bool:
    return _engine_key(engine) in _PUBLISHERS


def has_bulk_publisher(engine: Engine) -> bool:
    """Whether jobs on this engine may be written `queued` and handed over with `bulk=True`."""
    return hasattr(_PUBLISHERS.get(_engine_key(engine)), "publish_bulk")


def remember(session: Session, job_id: str) -> None:
    """Publish this job after the session's transaction commits."""
    session.info.setdefault(SESSION_KEY, []).append(job_id)


def publish(bind: Any, job_ids: Sequence[str], *, bulk: bool = False) -> None:
    """Hand job ids to the publishers for this engine; errors are logged (the relay catches up).

    `bulk`: the rows were committed as `queued` already (the webhook group writer) and the jobs are
    cheap; a publisher that knows bulk hand-overs (`publish_bulk`) sends several per message and
    returns them to `pending` if the broker cannot take them.
    """
    publishers = [p for p in (_PUBLISHERS.get(_engine_key(bind)),) if p]
    for publisher in publishers:
        try:
            send_bulk = getattr(publisher, "publish_bulk", None) if bulk else None
            (send_bulk or publisher)(job_ids)
        except Exception as exc:  # noqa: BLE001 - never fail a committed request over the broker
            log.warning("jobs.publish.failed count=%s error=%r", len(job_ids), exc)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    ids = session.info.pop(SESSION_KEY, None)
    if ids and session.bind is not None:
        publish(session.bind, list(dict.fromkeys(ids)))


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(SESSION_KEY, None)
